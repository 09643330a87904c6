/// Checks a JSON value against a JSON Schema, for the keywords tool schemas use: `type` (one or
/// several), `properties`, `required`, `additionalProperties: false`, `enum`, `minLength`,
/// `maxLength`, `minimum`, `maximum`, `pattern`-free string rules, `items`, `minItems` and `maxItems`.
///
/// Unknown keywords are ignored (they only annotate), so a schema never fails closed on a keyword
/// it merely documents. Lengths count Unicode code points, as JSON Schema says.
public struct SchemaValidator: Sendable {
    /// A validator; it holds no state, so one serves every call.
    public init() {}

    /// Every way `value` breaks `schema`, each naming where (`arguments.title`) and what; empty when it conforms.
    public func violations(of schema: JSONValue, by value: JSONValue, at path: String = "arguments") -> [String] {
        var problems: [String] = []
        self.check(value, against: schema, at: path, into: &problems)
        return problems
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, into problems: inout [String]) {
        guard case .object(let rules) = schema else { return }

        if let type = rules["type"] {
            let allowed: [String] =
                switch type {
                case .string(let name): [name]
                case .array(let names): names.compactMap(\.stringValue)
                default: []
                }
            guard allowed.isEmpty || allowed.contains(where: { Self.value(value, isOfType: $0) }) else {
                problems.append("\(path) must be \(allowed.joined(separator: " or ")), not \(value.typeName).")
                return
            }
        }

        if case .array(let options) = rules["enum"], !options.contains(value) {
            let names = options.map(\.jsonString).joined(separator: ", ")
            problems.append("\(path) must be one of \(names); \(value.jsonString) is not.")
        }

        switch value {
        case .string(let string):
            let length = string.unicodeScalars.count
            if let minimum = rules["minLength"]?.intValue, length < minimum {
                problems.append("\(path) must be at least \(minimum) characters long.")
            }
            if let maximum = rules["maxLength"]?.intValue, length > maximum {
                problems.append("\(path) must be at most \(maximum) characters long.")
            }
        case .int, .double:
            let number: Double =
                switch value {
                case .int(let int): Double(int)
                case .double(let double): double
                default: 0
                }
            if case .some(let minimum) = rules["minimum"].flatMap(Self.number), number < minimum {
                problems.append("\(path) must be at least \(Self.format(minimum)).")
            }
            if case .some(let maximum) = rules["maximum"].flatMap(Self.number), number > maximum {
                problems.append("\(path) must be at most \(Self.format(maximum)).")
            }
        case .array(let elements):
            if let minimum = rules["minItems"]?.intValue, elements.count < minimum {
                problems.append("\(path) must hold at least \(minimum) item\(minimum == 1 ? "" : "s").")
            }
            if let maximum = rules["maxItems"]?.intValue, elements.count > maximum {
                problems.append("\(path) must hold at most \(maximum) items; it holds \(elements.count).")
                return
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    self.check(element, against: items, at: "\(path)[\(index)]", into: &problems)
                }
            }
        case .object(let members):
            let properties = rules["properties"]?.objectValue ?? [:]
            if case .array(let required) = rules["required"] {
                for name in required.compactMap(\.stringValue) where members[name] == nil {
                    problems.append("\(path).\(name) is required.")
                }
            }
            for name in members.keys.sorted() {
                if let property = properties[name] {
                    self.check(members[name]!, against: property, at: "\(path).\(name)", into: &problems)
                } else if rules["additionalProperties"] == false {
                    let known = properties.keys.sorted().joined(separator: ", ")
                    problems.append("\(path).\(name) is not a known property; the known ones are: \(known).")
                }
            }
        default:
            break
        }
    }

    private static func value(_ value: JSONValue, isOfType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double): true
        case ("integer", _): value.intValue != nil && value.typeName != "boolean"
        default: false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number ? String(Int64(number)) : String(number)
    }
}
