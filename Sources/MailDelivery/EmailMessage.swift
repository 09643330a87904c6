public import Foundation
public import OAuthKit

/// A plain-text e-mail, written as RFC 5322 bytes for a mail relay.
///
/// Written by hand because no mail package is available to this project; it covers only what
/// login-code messages need: one sender, one recipient, a UTF-8 text body. Header values are
/// cleaned of line breaks and control characters (no header can be injected through a client's
/// name) and encoded as RFC 2047 words when they are not plain ASCII; a body that is not ASCII is
/// sent in base64, so that no relay needs 8BITMIME and no line exceeds 76 characters.
public struct EmailMessage: Hashable, Sendable, Codable {
    /// The sender's address, such as `login@todo.example.com`.
    public var from: String
    /// The sender's display name, if any.
    public var fromName: String?
    /// The recipient's address.
    public var to: String
    /// The subject line.
    public var subject: String
    /// The text of the message; lines are separated by `\n`.
    public var body: String
    /// When the message was written (the `Date` header).
    public var date: Date
    /// The `Message-ID` without angle brackets, such as `3f9a…@todo.example.com`.
    public var messageID: String

    /// A message with every header given.
    public init(from: String, fromName: String? = nil, to: String, subject: String, body: String, date: Date, messageID: String) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
    }

    /// The message as it goes to the relay: CRLF line ends, headers first.
    public var rendered: [UInt8] {
        let fromField = self.fromName.map { Self.displayName(Self.headerText($0)) + " <\(Self.address(self.from))>" } ?? Self.address(self.from)
        var headers = [
            "Date: " + Self.dateFormatter.string(from: self.date),
            "From: " + fromField,
            "To: " + Self.address(self.to),
            "Subject: " + Self.encodedWord(Self.headerText(self.subject)),
            "Message-ID: <" + Self.address(self.messageID) + ">",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        let lines = self.body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let body: String
        if self.body.utf8.allSatisfy({ $0 < 0x80 }) && lines.allSatisfy({ $0.utf8.count <= 998 }) {
            headers.append("Content-Transfer-Encoding: 7bit")
            body = lines.joined(separator: "\r\n")
        } else {
            headers.append("Content-Transfer-Encoding: base64")
            let encoded = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString()
            body = stride(from: 0, to: encoded.count, by: 76).map { start in
                let from = encoded.index(encoded.startIndex, offsetBy: start)
                return String(encoded[from..<(encoded.index(from, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
            }.joined(separator: "\r\n")
        }
        return Array((headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    /// `text` with every line break and control character made a space, as one header line.
    static func headerText(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0 }))
    }

    /// An address with everything that could end a header or an angle-bracket form removed.
    package static func address(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F && $0 != "<" && $0 != ">" }))
    }

    /// A display name: a quoted string when it is printable ASCII, else RFC 2047 words.
    static func displayName(_ text: String) -> String {
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !text.contains("=?") else { return Self.encodedWord(text) }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `text` as is when it is printable ASCII, else as RFC 2047 base64 words of at most 64
    /// characters, split between whole Unicode scalars.
    static func encodedWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !text.contains("=?") { return text }
        var words: [String] = []
        var chunk = String.UnicodeScalarView()
        var chunkBytes = 0
        // Split between Unicode scalars (whole encoded characters), never inside one.
        for scalar in text.unicodeScalars {
            // 39 bytes of text make a word of 64 characters, so "Subject: " and a word stay within 78.
            if chunkBytes + UTF8.width(scalar) > 39, !chunk.isEmpty {
                words.append(String(chunk))
                chunk = String.UnicodeScalarView()
                chunkBytes = 0
            }
            chunk.append(scalar)
            chunkBytes += UTF8.width(scalar)
        }
        if !chunk.isEmpty { words.append(String(chunk)) }
        return words.map { "=?utf-8?b?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// RFC 5322 dates: `Wed, 02 Dec 2026 08:15:00 +0000`.
    static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter
    }()
}

extension EmailMessage {
    /// The e-mail that carries a login code: the subject names the code, the text says which app
    /// asked, for which server, and until when the code works.
    ///
    /// - Parameters:
    ///   - message: the code and what asked for it.
    ///   - from: the sender's address (`MAIL_FROM`).
    ///   - date: when the message is written.
    ///   - messageID: a unique id; its domain should be the sender's.
    public static func loginCode(_ message: LoginCodeMessage, from: String, date: Date, messageID: String) -> EmailMessage {
        let minutes = max(1, Int((message.expiresAt.timeIntervalSince(date) / 60).rounded()))
        let expiry = Self.dateFormatter.string(from: message.expiresAt)
        let asker =
            message.isAccountSignIn
            ? "Someone asked to open your account page at \(message.serverHost)."
            : "\(Self.headerText(message.clientName)) asked to use \(message.serverHost) on your behalf."
        let body = """
            Your sign-in code is:

                \(message.code)

            \(asker)
            Type the code on the sign-in page within \(minutes) minutes (it expires \(expiry)).

            If you did not try to sign in, ignore this message: without the code nobody can sign in.
            """
        return EmailMessage(
            from: from,
            fromName: message.serverHost,
            to: message.email,
            subject: "Your sign-in code: \(message.code)",
            body: body,
            date: date,
            messageID: messageID
        )
    }
}
