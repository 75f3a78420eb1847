import DaprProto
import Foundation
import GRPCTestClient

/// A Read stream as daprd holds it: messages in, an immediate success ack for each. Messages are
/// received and acked on the client's poller thread (as daprd's Go client does on its own
/// goroutine), so the client side costs no task switch per message and the figures are the
/// component's.
final class ReadStream: @unchecked Sendable {  // counts and waiter guarded by `lock`; the iterator read by one task at a time
    private let call: ClientCall
    private let lock = NSLock()
    private var received = 0
    private var ended = false
    private var countWaiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
    private let messagesIn: AsyncStream<ReadResponse>.Continuation?
    private var iterator: AsyncStream<ReadResponse>.Iterator

    /// `keepingMessages`: whether `next()` is used; a drain only counts.
    init(channel: ClientChannel, instance: String, keepingMessages: Bool = true) {
        call = channel.makeCall(BenchmarkSession.input + "Read", metadata: [BenchmarkSession.instanceHeader: instance])
        let (stream, continuation) = AsyncStream.makeStream(of: ReadResponse.self)
        messagesIn = keepingMessages ? continuation : nil
        iterator = stream.makeAsyncIterator()
        if !keepingMessages { continuation.finish() }
        call.receiveMessages { [self] bytes in
            guard let bytes, let message = try? ReadResponse(decoding: bytes) else { return end() }
            call.send(ReadRequest(messageID: message.messageID).encoded()) { _ in }
            messagesIn?.yield(message)
            let reached: CheckedContinuation<Void, Never>? = lock.withLock {
                received += 1
                guard let waiter = countWaiter, received >= waiter.target else { return nil }
                countWaiter = nil
                return waiter.continuation
            }
            reached?.resume()
        }
    }

    private func end() {
        messagesIn?.finish()
        let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
            ended = true
            defer { countWaiter = nil }
            return countWaiter?.continuation
        }
        waiter?.resume()
    }

    /// The next delivered message (already acked).
    func next() async throws -> ReadResponse {
        guard let message = await iterator.next() else { throw await call.status }
        return message
    }

    /// Returns once `count` messages in all were received (or the stream ended).
    func waitUntilReceived(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                if received >= count || ended { return true }
                countWaiter = (count, continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func cancel() {
        call.cancel()
    }
}
