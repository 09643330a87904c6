import Foundation
import MailDelivery
import OAuthKit
import Testing

/// The msmtp sender, driven against a stand-in program that records what it was given.
@Suite("msmtp sender")
struct MsmtpSenderTests {
    /// A folder with a stand-in `msmtp` that records its arguments, configuration (and the file's
    /// mode) and standard input, then exits with `status`.
    static func standIn(exiting status: Int32) throws -> (program: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-msmtp-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let program = folder.appendingPathComponent("msmtp")
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > '\(folder.path)/arguments'
            config="${1#--file=}"
            cp "$config" '\(folder.path)/config'
            stat -c %a "$config" > '\(folder.path)/mode'
            stat -c %a "$(dirname "$config")" > '\(folder.path)/folder-mode'
            cat > '\(folder.path)/input'
            exit \(status)
            """
        try script.write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        return (program.path, folder)
    }

    static let settings = MsmtpSender.Settings(
        host: "smtp.example.com",
        port: 587,
        security: .starttls,
        username: "login@example.com",
        password: "s3cret \"quoted\"\nnext",
        from: "login@todo.example.com",
        caFile: "/etc/ssl/private-ca.pem"
    )

    static let message = EmailMessage.loginCode(
        LoginCodeMessage(code: "ABCDE", email: "ada@example.com", clientName: "Claude", serverHost: "todo.example.com", expiresAt: Date(timeIntervalSince1970: 1_800_000_600)),
        from: "login@todo.example.com",
        date: Date(timeIntervalSince1970: 1_800_000_000),
        messageID: "m1@todo.example.com"
    )

    @Test("The password goes only into a private configuration file; the recipient is an argument; the message is the input")
    func invocation() async throws {
        let (program, folder) = try Self.standIn(exiting: 0)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await MsmtpSender(settings: Self.settings, executable: program).send(Self.message)
        let arguments = try String(contentsOf: folder.appendingPathComponent("arguments"), encoding: .utf8).split(separator: "\n")
        #expect(arguments.count == 3 && arguments[0].hasPrefix("--file=") && arguments[1] == "--" && arguments[2] == "ada@example.com")
        #expect(!arguments.joined().contains("s3cret"))
        #expect(try String(contentsOf: folder.appendingPathComponent("mode"), encoding: .utf8) == "600\n")
        #expect(try String(contentsOf: folder.appendingPathComponent("folder-mode"), encoding: .utf8) == "700\n")
        let config = try String(contentsOf: folder.appendingPathComponent("config"), encoding: .utf8)
        #expect(config.contains("tls on\ntls_starttls on\n"), "STARTTLS is required, never optional")
        #expect(config.contains(#"tls_trust_file "/etc/ssl/private-ca.pem""#))
        #expect(config.contains(#"password "s3cret \"quoted\"next""#), "quoted, and a line break cannot add a setting")
        #expect(config.components(separatedBy: "\n").filter { $0.hasPrefix("password") }.count == 1)
        #expect(try Data(contentsOf: folder.appendingPathComponent("input")) == Data(Self.message.rendered))
        let leftover = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        #expect(!leftover.contains { arguments[0].contains($0) && $0.hasPrefix("msmtp-") }, "the configuration is removed afterwards")
    }

    @Test("Implicit TLS and plain connections are configured as asked")
    func securityModes() async throws {
        for (security, expected) in [(MsmtpSender.Security.tls, "tls on\ntls_starttls off\n"), (.none, "tls off\ntls_starttls off\n")] {
            let (program, folder) = try Self.standIn(exiting: 0)
            defer { try? FileManager.default.removeItem(at: folder) }
            var settings = Self.settings
            settings.security = security
            settings.username = nil
            try await MsmtpSender(settings: settings, executable: program).send(Self.message)
            let config = try String(contentsOf: folder.appendingPathComponent("config"), encoding: .utf8)
            #expect(config.contains(expected))
            #expect(config.contains("auth off") && !config.contains("password"))
            #expect(config.contains("tls_trust_file") == (security != .none))
        }
    }

    @Test("Exit 75 is a temporary failure, any other failure is final, a missing program is final", arguments: [(75 as Int32, true), (69, false), (1, false)])
    func failures(_ status: Int32, _ temporary: Bool) async throws {
        let (program, folder) = try Self.standIn(exiting: status)
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = await #expect(throws: MailSendError.self) { try await MsmtpSender(settings: Self.settings, executable: program).send(Self.message) }
        #expect(error?.isTemporary == temporary)
        #expect(error?.description.contains("s3cret") == false)
        let missing = await #expect(throws: MailSendError.self) {
            try await MsmtpSender(settings: Self.settings, executable: folder.path + "/nothing").send(Self.message)
        }
        #expect(missing?.isTemporary == false)
    }

    @Test(
        "A recipient that looks like an option, or is not a plain address, is refused before anything runs",
        arguments: ["--host=evil.example", "\u{430}da@example.com", "ada@example.com\r\nbcc", "a da@example.com", ""]
    )
    func unusableRecipients(_ recipient: String) async throws {
        let (program, folder) = try Self.standIn(exiting: 0)
        defer { try? FileManager.default.removeItem(at: folder) }
        var message = Self.message
        message.to = recipient
        let error = await #expect(throws: MailSendError.self) { try await MsmtpSender(settings: Self.settings, executable: program).send(message) }
        #expect(error?.isTemporary == false)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("arguments").path), "the client never ran")
    }

    @Test("A client that hangs is stopped at the timeout, as a temporary failure")
    func hangingClient() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slow-msmtp-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = folder.appendingPathComponent("msmtp")
        try "#!/bin/sh\ncat > /dev/null\nexec sleep 30\n".write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let started = ContinuousClock.now
        let error = await #expect(throws: MailSendError.self) {
            try await MsmtpSender(settings: Self.settings, executable: program.path, timeout: .milliseconds(300)).send(Self.message)
        }
        #expect(error?.isTemporary == true)
        // Stopped, not waited for: well before the client's own 30 s (with room for a loaded machine).
        #expect(ContinuousClock.now - started < .seconds(25))
    }
}
