import NIOCore

/// Runs task jobs on one NIO event loop. The component's unary handlers prefer it, and the output
/// bindings' broker connections live on the same loop, so a handler that awaited a broker's reply
/// resumes on the thread that read it — in the same loop turn, with no thread woken — and answers
/// the gRPC call from there.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: EventLoop

    init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
