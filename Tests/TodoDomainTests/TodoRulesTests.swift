import Foundation
import Testing

@testable import TodoDomain

/// Every validation rule of a todo field, one table row per case.
@Suite("Todo field rules")
struct TodoRulesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String?
        var expected: String?  // the stored value, or nil when the input must be refused
        var testDescription: String { "\(String(reflecting: self.input)) → \(self.expected.map { "'\($0.prefix(20))'" } ?? "error")" }
    }

    @Test(arguments: [
        Case(input: "Buy milk", expected: "Buy milk"),
        Case(input: "  Buy milk \n", expected: "Buy milk"),
        Case(input: String(repeating: "a", count: 200), expected: String(repeating: "a", count: 200)),
        Case(input: String(repeating: "é", count: 200), expected: String(repeating: "é", count: 200)),
        Case(input: String(repeating: "👍🏽", count: 200), expected: String(repeating: "👍🏽", count: 200)),
        Case(input: String(repeating: "a", count: 201), expected: nil),
        Case(input: "", expected: nil),
        Case(input: "   \t\n ", expected: nil),
        Case(input: "two\nlines", expected: nil),
        Case(input: "tab\there", expected: nil),
        Case(input: "bell\u{07}", expected: nil),
        Case(input: "nul\u{0}", expected: nil),
        Case(input: "del\u{7F}", expected: nil),
    ])
    func title(_ item: Case) throws {
        if let expected = item.expected {
            #expect(try TodoRules.title(item.input!) == expected)
        } else {
            let error = #expect(throws: TodoError.self) { try TodoRules.title(item.input!) }
            #expect(error?.field == "title")
            #expect(error?.description.hasPrefix("title ") == true)
        }
    }

    @Test(arguments: [
        Case(input: nil, expected: nil),
        Case(input: "", expected: nil),
        Case(input: "  \n ", expected: nil),
        Case(input: "line one\nline two\r\n\tindented", expected: "line one\nline two\r\n\tindented"),
        Case(input: String(repeating: "n", count: 5_000), expected: String(repeating: "n", count: 5_000)),
    ])
    func acceptedNotes(_ item: Case) throws {
        #expect(try TodoRules.notes(item.input) == item.expected)
    }

    @Test(arguments: [String(repeating: "n", count: 5_001), "escape \u{1B}[31m", "nul \u{0}"])
    func refusedNotes(_ input: String) {
        let error = #expect(throws: TodoError.self) { try TodoRules.notes(input) }
        #expect(error?.field == "notes")
        #expect(error?.description.hasPrefix("notes ") == true)
    }

    @Test(arguments: [
        Case(input: "2026-03-31", expected: "2026-03-31"),
        Case(input: " 2026-12-01 ", expected: "2026-12-01"),
        Case(input: "2024-02-29", expected: "2024-02-29"),
        Case(input: "2000-02-29", expected: "2000-02-29"),
        Case(input: "2025-02-29", expected: nil),
        Case(input: "1900-02-29", expected: nil),
        Case(input: "2026-04-31", expected: nil),
        Case(input: "2026-13-01", expected: nil),
        Case(input: "2026-00-10", expected: nil),
        Case(input: "0000-01-01", expected: nil),
        Case(input: "2026-1-01", expected: nil),
        Case(input: "2026/01/01", expected: nil),
        Case(input: "2026-01-01T10:00:00Z", expected: nil),
        Case(input: "tomorrow", expected: nil),
        Case(input: "", expected: nil),
        Case(input: "２０２６-01-01", expected: nil),
    ])
    func dueDate(_ item: Case) throws {
        if let expected = item.expected {
            #expect(try TodoRules.dueDate(item.input)?.description == expected)
        } else {
            let error = #expect(throws: TodoError.self) { try TodoRules.dueDate(item.input) }
            #expect(error?.field == "dueDate")
            #expect(error?.description.contains("YYYY-MM-DD") == true)
        }
    }

    @Test func noDueDate() throws {
        #expect(try TodoRules.dueDate(nil) == nil)
    }

    @Test(arguments: [
        Case(input: nil, expected: "normal"),
        Case(input: "low", expected: "low"),
        Case(input: "normal", expected: "normal"),
        Case(input: "high", expected: "high"),
        Case(input: " High ", expected: "high"),
        Case(input: "urgent", expected: nil),
        Case(input: "", expected: nil),
        Case(input: "1", expected: nil),
    ])
    func priority(_ item: Case) throws {
        if let expected = item.expected {
            #expect(try TodoRules.priority(item.input).rawValue == expected)
        } else {
            let error = #expect(throws: TodoError.self) { try TodoRules.priority(item.input) }
            #expect(error?.field == "priority")
            #expect(error?.description.contains("low, normal, high") == true)
        }
    }

    @Test(arguments: [(nil, 50), (1, 1), (200, 200)] as [(Int?, Int)])
    func acceptedLimit(_ input: Int?, _ expected: Int) throws {
        #expect(try TodoRules.limit(input) == expected)
    }

    @Test(arguments: [0, -1, 201, Int.max])
    func refusedLimit(_ input: Int) {
        let error = #expect(throws: TodoError.self) { try TodoRules.limit(input) }
        #expect(error?.field == "limit")
        #expect(error?.description.contains("between 1 and 200") == true)
    }

    @Test func query() throws {
        #expect(try TodoRules.query(nil) == nil)
        #expect(try TodoRules.query("   ") == nil)
        #expect(try TodoRules.query(" milk ") == "milk")
        #expect(try TodoRules.query(String(repeating: "q", count: 200)) != nil)
        let error = #expect(throws: TodoError.self) { try TodoRules.query(String(repeating: "q", count: 201)) }
        #expect(error?.field == "query")
        for control in ["mi\u{0}lk", "a\u{1B}[2Jb", "tab\there"] {
            let refused = #expect(throws: TodoError.self) { try TodoRules.query(control) }
            #expect(refused?.description.contains("control characters") == true, "\(control.debugDescription)")
        }
    }
}

@Suite("Identifiers and dates")
struct IdentifierTests {
    @Test func idsAreRandomAndWellFormed() {
        let ids = (0..<2_000).map { _ in TodoID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.rawValue.count == 28)
            #expect(TodoID(id.rawValue) == id)
        }
        // Not sequential: consecutive ids share no long common prefix.
        let sharedPrefixes = zip(ids, ids.dropFirst()).filter { $0.rawValue.prefix(8) == $1.rawValue.prefix(8) }
        #expect(sharedPrefixes.isEmpty)
    }

    @Test(arguments: [
        "", "t_", "t_123", "x_00000000000000000000000000", "t_0000000000000000000000000O", "t_0000000000000000000000000u",
        "T_00000000000000000000000000", "t_000000000000000000000000é", "t_0000000000000000000000000 ",
    ])
    func malformedIDsAreRefused(_ text: String) {
        #expect(TodoID(text) == nil)
    }

    @Test func base32MatchesKnownEncoding() {
        #expect(Base32.encode([0xFF]) == "zw")
        #expect(Base32.encode([0x00, 0x00]) == "0000")
        #expect(Base32.encode(Array(repeating: 0xFF, count: 16)) == String(repeating: "z", count: 25) + "w")
    }

    @Test func calendarDatesOrderByDay() throws {
        let dates = try ["2026-01-02", "2025-12-31", "2026-01-10"].map { try #require(CalendarDate($0)) }
        #expect(dates.sorted().map(\.description) == ["2025-12-31", "2026-01-02", "2026-01-10"])
    }
}

@Suite("Milliseconds")
struct MillisecondsTests {
    @Test("Dates beyond 64-bit milliseconds give the nearest bound instead of trapping")
    func clamps() {
        #expect(Date(millisecondsSince1970: .max).millisecondsSince1970 == .max)
        #expect(Date(millisecondsSince1970: .min).millisecondsSince1970 == .min)
        #expect(Date.distantFuture.millisecondsSince1970 == 64_092_211_200_000)
        #expect(Date(timeIntervalSince1970: .infinity).millisecondsSince1970 == .max)
        #expect(Date(timeIntervalSince1970: .nan).millisecondsSince1970 == 0)
        #expect(Date(millisecondsSince1970: 1_800_000_000_123).millisecondsSince1970 == 1_800_000_000_123)
    }
}
