// libFuzzer target: the JSON parser. Whatever it accepts must print as JSON that parses back to
// the same value (numbers compared by value: `2.0` prints as `2`) and prints the same bytes again.
import FuzzSupport
import MCPCore

runFuzzer { data, size in
    guard let value = try? JSONValue.parse(input(data, size)) else { return 0 }
    let printed = value.serialized()
    guard let again = try? JSONValue.parse(printed) else { fatalError("printed JSON does not parse: \(value)") }
    guard sameValue(again, value), again.serialized() == printed else { fatalError("JSON round trip changed the value: \(value)") }
    return 0
}

/// Equality with numbers compared by value, as JSON means them.
func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
    case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameValue(value, $0) } ?? false }
    default: return a == b
    }
}
