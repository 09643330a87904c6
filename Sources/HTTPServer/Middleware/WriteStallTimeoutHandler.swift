import NIOCore

/// Closes a connection whose client stops reading: once the connection's send buffer is full
/// (the channel is not writable), the client has `timeout` to take bytes again.
///
/// A long-lived response such as a notification stream would otherwise wait for ever in a write
/// to a client that never reads, holding its stream, its subscription and graceful shutdown.
/// Closing the connection makes that write fail, so the response ends and gives everything back.
final class WriteStallTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.stop()
        } else if self.timer == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.stop() }

    private func stop() {
        self.timer?.cancel()
        self.timer = nil
    }
}
