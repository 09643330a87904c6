import Foundation

/// Sends mail through `msmtp`, a well-kept SMTP client (Debian's `msmtp`), run without a shell.
///
/// No Swift SMTP package is available to this project, and SMTP with STARTTLS, authentication
/// and certificate checks is better left to a client that does only that. Each message starts one
/// `msmtp` with a configuration file of its own (mode 0600, in a folder only this process can
/// read, removed afterwards), so the password never appears in the process list or the log; the
/// message goes to its standard input, and the recipient is an argument (never taken from the
/// headers). `msmtp` exits 75 (EX_TEMPFAIL) when a later try may succeed, such as a relay that
/// does not answer; every other failure, such as a relay without STARTTLS when it is required
/// (69), is final. STARTTLS is never given up silently: `tls_starttls on` makes its absence an
/// error.
public struct MsmtpSender: MailSender {
    /// How the connection to the relay is protected.
    public enum Security: String, Sendable, Hashable, CaseIterable {
        /// Plain connection upgraded with STARTTLS, which must be offered (port 587).
        case starttls
        /// TLS from the first byte (port 465).
        case tls
        /// No encryption: only for a relay on a loopback address.
        case none
    }

    /// The relay's settings.
    public struct Settings: Sendable, Hashable {
        /// The relay's host name or address.
        public var host: String
        /// The relay's port.
        public var port: Int
        /// How the connection is protected.
        public var security: Security
        /// The user name, when the relay wants authentication.
        public var username: String?
        /// The password, when the relay wants authentication.
        public var password: String?
        /// The envelope sender (`MAIL_FROM`).
        public var from: String
        /// A file of extra trusted certificate authorities (PEM), for private relays and tests.
        public var caFile: String?

        /// Settings for a relay at `host:port`.
        public init(
            host: String,
            port: Int,
            security: Security = .starttls,
            username: String? = nil,
            password: String? = nil,
            from: String,
            caFile: String? = nil
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.from = from
            self.caFile = caFile
        }
    }

    let settings: Settings
    let executable: String
    let timeout: Duration

    /// A sender through the relay of `settings`.
    /// - Parameters:
    ///   - settings: the relay.
    ///   - executable: the `msmtp` program.
    ///   - timeout: how long one delivery may take before it counts as a temporary failure.
    public init(settings: Settings, executable: String = "/usr/bin/msmtp", timeout: Duration = .seconds(30)) {
        self.settings = settings
        self.executable = executable
        self.timeout = timeout
    }

    /// The configuration file for `msmtp`: one account, every setting explicit.
    var configuration: String {
        var lines = [
            "account default",
            "host \(Self.value(self.settings.host))",
            "port \(self.settings.port)",
            "from \(Self.value(self.settings.from))",
            "timeout \(max(1, Int(self.timeout.components.seconds)))",
            "tls \(self.settings.security == .none ? "off" : "on")",
            "tls_starttls \(self.settings.security == .starttls ? "on" : "off")",
        ]
        if self.settings.security != .none {
            lines.append("tls_trust_file \(Self.value(self.settings.caFile ?? "system"))")
        }
        if let username = self.settings.username, !username.isEmpty {
            lines += ["auth on", "user \(Self.value(username))", "password \(Self.value(self.settings.password ?? ""))"]
        } else {
            lines.append("auth off")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A configuration value on one line, quoted as msmtp reads it.
    static func value(_ text: String) -> String {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    public func send(_ message: EmailMessage) async throws(MailSendError) {
        // Never a cleaned-up version of the address: that could be someone else's mailbox.
        let recipient = message.to
        guard !recipient.isEmpty, !recipient.hasPrefix("-"), EmailMessage.address(recipient) == recipient else {
            throw MailSendError(temporary: false, "the recipient address is not usable")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("msmtp-" + UUID().uuidString)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw MailSendError(temporary: true, "could not prepare the mail client's configuration")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("msmtprc")
        guard FileManager.default.createFile(atPath: file.path, contents: Data(self.configuration.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw MailSendError(temporary: true, "could not prepare the mail client's configuration")
        }
        let status = try await self.run(arguments: ["--file=" + file.path, "--", recipient], input: message.rendered)
        switch status {
        case 0: return
        case 75: throw MailSendError(temporary: true, "the mail relay could not be reached or refused for now (msmtp exit 75)")
        default: throw MailSendError(temporary: false, "the mail relay refused the message or the connection (msmtp exit \(status))")
        }
    }

    /// Runs the mail client with `arguments`, writes `input` to it and returns its exit status;
    /// a client that outlives the timeout is stopped and counts as a temporary failure.
    private func run(arguments: [String], input: [UInt8]) async throws(MailSendError) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executable)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw MailSendError(temporary: false, "the mail client \(self.executable) could not be started")
        }
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
        let timeout = self.timeout
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        for await status in exited.stream {
            if process.terminationReason == .uncaughtSignal { throw MailSendError(temporary: true, "the mail client took too long and was stopped") }
            return status
        }
        throw MailSendError(temporary: true, "the mail client ended without a status")
    }
}
