import Foundation
import MailDelivery
import OAuthKit
import PropertyBased
import Testing

/// Login-code e-mails, as bytes a relay accepts.
@Suite("E-mail messages")
struct EmailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_796_199_300)  // Wed, 02 Dec 2026 08:15:00 UTC

    static func login(clientName: String = "Claude", code: String = "ABCDE") -> EmailMessage {
        .loginCode(
            LoginCodeMessage(code: code, email: "ada@example.com", clientName: clientName, serverHost: "todo.example.com", expiresAt: Self.date.addingTimeInterval(600)),
            from: "login@todo.example.com",
            date: Self.date,
            messageID: "m1@todo.example.com"
        )
    }

    /// The header lines (unfolded) and the body of rendered bytes.
    static func parse(_ bytes: [UInt8]) -> (headers: [String: String], body: String) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        for line in parts[0].replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map(String.init)
            headers[pair[0]] = pair.count > 1 ? String(pair[1].dropFirst()) : ""
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// The text of RFC 2047 words, or the value itself.
    static func decodeWords(_ value: String) -> String {
        value.split(separator: " ").map { word -> String in
            guard word.hasPrefix("=?utf-8?b?"), word.hasSuffix("?=") else { return String(word) }
            let encoded = word.dropFirst(10).dropLast(2)
            return String(decoding: Data(base64Encoded: String(encoded)) ?? Data(), as: UTF8.self)
        }.joined()
    }

    @Test("The login e-mail: subject with the code, every header, the app, the server and the expiry in the text")
    func loginCodeMessage() throws {
        let bytes = Self.login().rendered
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "CRLF only")
        let (headers, body) = Self.parse(bytes)
        #expect(headers["Subject"] == "Your sign-in code: ABCDE")
        #expect(headers["Date"] == "Wed, 02 Dec 2026 08:15:00 +0000")
        #expect(headers["From"] == #""todo.example.com" <login@todo.example.com>"#)
        #expect(headers["To"] == "ada@example.com")
        #expect(headers["Message-ID"] == "<m1@todo.example.com>")
        #expect(headers["MIME-Version"] == "1.0")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(headers["Content-Transfer-Encoding"] == "7bit")
        #expect(body.contains("\r\n    ABCDE\r\n"))
        #expect(body.contains("Claude asked to use todo.example.com on your behalf."))
        #expect(body.contains("within 10 minutes (it expires Wed, 02 Dec 2026 08:25:00 +0000)"))
    }

    @Test("A code for the account page says so, and names no app")
    func accountPageMessage() {
        let message = EmailMessage.loginCode(
            LoginCodeMessage(
                code: "QWERT",
                email: "ada@example.com",
                clientName: "Account page",
                serverHost: "todo.example.com",
                expiresAt: Self.date.addingTimeInterval(600),
                isAccountSignIn: true
            ),
            from: "login@todo.example.com",
            date: Self.date,
            messageID: "m2@todo.example.com"
        )
        #expect(message.subject == "Your sign-in code: QWERT")
        #expect(message.body.contains("Someone asked to open your account page at todo.example.com."))
        #expect(!message.body.contains("on your behalf"))
    }

    @Test("A client name cannot add headers or lines: line breaks and controls become spaces")
    func headerInjection() {
        for name in ["Evil\r\nBcc: victim@example.com", "Evil\nSubject: pwned", "Evil\u{2028}X: y", "Evil\u{0}\u{1B}[31m"] {
            var message = Self.login(clientName: name)
            message.fromName = name
            message.subject = "Code for " + name
            let (headers, body) = Self.parse(message.rendered)
            #expect(headers["Bcc"] == nil && headers["X"] == nil, "\(name.debugDescription)")
            #expect(Set(headers.keys) == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"])
            #expect(!body.contains("\r\nBcc:") && !body.contains("\r\nSubject:"))
        }
        var message = Self.login()
        message.to = "ada@example.com>\r\nBcc: eve@example.com"
        message.from = "login@example.com\r\nBcc: eve@example.com"
        let (headers, _) = Self.parse(message.rendered)
        #expect(headers["Bcc"] == nil)
        #expect(headers["To"]?.contains(" ") == false)
    }

    @Test("Non-ASCII names and text are encoded: RFC 2047 words in headers, base64 lines of at most 76 in the body")
    func unicode() throws {
        let name = "Zoë’s Agent 😀 " + String(repeating: "ü", count: 40)
        var message = Self.login(clientName: name)
        message.fromName = "Tâches"
        message.subject = "Votre code : ABCDE — " + name
        let bytes = message.rendered
        #expect(bytes.allSatisfy { $0 < 0x80 }, "the bytes on the wire are ASCII")
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
        let (headers, body) = Self.parse(bytes)
        #expect(Self.decodeWords(headers["Subject"] ?? "") == message.subject)
        #expect(Self.decodeWords(String(headers["From"]?.split(separator: " <").first ?? "")) == "Tâches")
        #expect(headers["Content-Transfer-Encoding"] == "base64")
        let decoded = String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        #expect(decoded.contains(name + " asked to use todo.example.com"))
    }

    @Test("Any client name renders to ASCII lines a relay accepts, with no extra header")
    func randomNames() async {
        let scalar = Gen<UInt32>.value(in: 0...0x10FFFF).compactMap { Unicode.Scalar($0) }
        let names = scalar.array(of: 0...100).map { scalars in
            var string = ""
            string.unicodeScalars.append(contentsOf: scalars)
            return string
        }
        await propertyCheck(count: 200, input: names) { name in
            var message = Self.login(clientName: name)
            message.fromName = name
            let bytes = message.rendered
            #expect(bytes.allSatisfy { $0 < 0x80 })
            let (headers, _) = Self.parse(bytes)
            #expect(headers.count == 8)
            #expect(String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        }
        // One character of a thousand scalars (a letter under a pile of combining marks).
        var message = Self.login(clientName: "e" + String(repeating: "\u{301}", count: 1_000))
        message.fromName = message.body
        message.subject = "x" + String(repeating: "\u{301}", count: 1_000)
        #expect(String(decoding: message.rendered, as: UTF8.self).components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
    }
}
