// libFuzzer target: the form and query decoders. Decoding never fails; encoding what was decoded
// and decoding again gives the same fields; the log redaction keeps every secret value out.
import FuzzSupport
import HTTPServer
import OAuthKit

runFuzzer { data, size in
    let text = String(decoding: input(data, size), as: UTF8.self)
    let fields = FormData.parse(text)
    let duplicates = FormData.duplicates(in: text)
    precondition(duplicates.allSatisfy { fields[$0] != nil }, "a repeated field is missing")
    let encoded = FormData.encode(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    precondition(FormData.parse(encoded) == fields, "form round trip changed the fields")
    let redacted = LogRedaction.query(text)
    precondition(!redacted.contains("@") && !redacted.uppercased().contains("%40"), "an address reached the log")
    return 0
}
