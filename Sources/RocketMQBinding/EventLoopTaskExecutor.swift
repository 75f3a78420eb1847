import NIOCore

/// Runs task jobs on one NIO event loop. A task that prefers it writes to connections on that
/// loop without a hand-off, and resumes on the thread that read the reply, in the same loop turn,
/// with no thread woken. `RocketMQBindingFactory.makeServer` makes the component server's unary
/// handlers run on the output bindings' loop through it; the benchmark's direct sends use it so too.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: EventLoop

    public init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
