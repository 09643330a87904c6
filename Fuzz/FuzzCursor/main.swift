// libFuzzer target: listing cursors. Only a cursor the server printed decodes, and it decodes to
// what was printed; any other text is refused without a crash.
import FuzzSupport
import TodoDomain

private let filter = TodoFilter(status: .open, query: "milk")

runFuzzer { data, size in
    let text = String(decoding: input(data, size), as: UTF8.self)
    if let cursor = try? TodoCursor(decoding: text, for: filter) {
        precondition((try? TodoCursor(decoding: cursor.encoded(), for: filter)) == cursor, "a cursor does not round-trip")
    }
    return 0
}
