import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import HTTPServer

/// A request must arrive in full within the read timeout, however it trickles in.
@Suite("Read timeout")
struct ReadTimeoutTests {
    let head = HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: "x", path: "/"))

    @Test("A request whose body stalls is closed when the timeout passes, even while bytes trickle in")
    func stalledBodyIsClosed() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestReadTimeoutHandler(timeout: .seconds(30)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(self.head)
        for _ in 0..<5 {
            loop.advanceTime(by: .seconds(5))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "x")))
            #expect(channel.isActive, "within the timeout")
        }
        loop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive, "closed 30 s after the head, though a byte came every 5 s")
    }

    @Test("A request that arrives in time keeps its connection, and the next request gets a fresh deadline")
    func completeRequestsKeepTheConnection() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestReadTimeoutHandler(timeout: .seconds(30)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        for _ in 0..<3 {
            try channel.writeInbound(self.head)
            loop.advanceTime(by: .seconds(20))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            loop.advanceTime(by: .seconds(20))
            #expect(channel.isActive)
        }
        _ = try channel.finish()
    }

    @Test("A later request on the same connection that stalls is closed at its own deadline")
    func laterStalledRequestIsClosed() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestReadTimeoutHandler(timeout: .seconds(30)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(self.head)
        loop.advanceTime(by: .seconds(20))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        loop.advanceTime(by: .seconds(5))
        try channel.writeInbound(self.head)  // at 25 s; its deadline is 55 s
        loop.advanceTime(by: .seconds(25))
        #expect(channel.isActive, "50 s: the first request's timer found this one still within its time")
        loop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive, "56 s: past the second request's deadline")
    }

    @Test("A client that stops reading loses its connection once the send buffer stays full for the timeout; reading again in time keeps it")
    func stalledWritesAreClosed() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: WriteStallTimeoutHandler(timeout: .seconds(30)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        func writable(_ flag: Bool) {
            channel.isWritable = flag
            channel.pipeline.fireChannelWritabilityChanged()
        }
        writable(false)
        loop.advanceTime(by: .seconds(20))
        writable(true)
        loop.advanceTime(by: .seconds(20))
        #expect(channel.isActive, "the client read again within the timeout")
        writable(false)
        loop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        writable(false)  // still full: the first stall's timer keeps running
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "closed 30 s after the buffer filled")
    }
}
