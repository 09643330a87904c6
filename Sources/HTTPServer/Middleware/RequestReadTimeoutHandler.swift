import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head and body do not arrive in full within a time limit.
///
/// Hummingbird's idle timeout closes a connection that sends nothing at all, but a client that
/// trickles a request (a byte of body every few seconds) stays within it forever; this handler
/// bounds the whole request instead, from its head to its end.
///
/// It keeps one timer per connection rather than one per request: the timer runs only while a
/// request is being read, and when it fires for a request that has since ended, it is simply not
/// set again, so a keep-alive connection serving many quick requests costs a clock read each.
final class RequestReadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    /// When the request being read must have arrived; `nil` between requests.
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head:
            let deadline = context.eventLoop.now + self.timeout
            self.deadline = deadline
            if self.timer == nil { self.schedule(at: deadline, context: context) }
        case .body:
            break
        case .end:
            self.deadline = nil
        }
        context.fireChannelRead(data)
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            guard let deadline = handler.deadline else { return }  // the request arrived in time
            if deadline <= context.eventLoop.now {
                context.close(promise: nil)
            } else {
                handler.schedule(at: deadline, context: context)  // a later request is being read
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.stop() }

    private func stop() {
        self.timer?.cancel()
        self.timer = nil
        self.deadline = nil
    }
}
