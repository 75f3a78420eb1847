import NIOCore

/// Turns the flushes of one run of the event loop's queued tasks into one.
///
/// A flush is deferred to a task queued behind the tasks already waiting on the channel's event
/// loop, so that every request (or response) written and flushed in the meantime leaves in one
/// socket write instead of one write each. Under load many requests are written in the same loop
/// turn; a lone one waits only for that queued task, on the same thread. A close flushes first,
/// so nothing written before it is dropped. Runs on the channel's event loop.
final class FlushCoalescingHandler: ChannelOutboundHandler {
    typealias OutboundIn = Any

    private var flushQueued = false

    init() {}

    func flush(context: ChannelHandlerContext) {
        guard !flushQueued else { return }
        flushQueued = true
        context.eventLoop.assumeIsolated().execute { [self] in
            guard flushQueued else { return }  // a close flushed already
            flushQueued = false
            context.flush()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if flushQueued {
            flushQueued = false
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }
}
