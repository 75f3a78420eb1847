import NIOConcurrencyHelpers

/// The messages a push consumer hands out, for one reader, in order. Unlike an `AsyncStream`, a
/// reader takes everything queued in one step (one lock per batch, not per message), and nothing
/// is generic over the element, so a busy stream costs little per message.
///
/// Finishes when the consumer stops; what is queued then is still read. A reader whose task is
/// cancelled gets nil. Iterate it from one task.
public final class ConsumedMessages: AsyncSequence, Sendable {
    public typealias Element = ConsumedMessage

    private struct State {
        var queued: [ConsumedMessage] = []
        var reader: CheckedContinuation<[ConsumedMessage]?, Never>?
        var finished = false

        mutating func takeQueued() -> [ConsumedMessage] {
            defer { queued = [] }
            return queued
        }

        mutating func takeReader() -> CheckedContinuation<[ConsumedMessage]?, Never>? {
            defer { reader = nil }
            return reader
        }
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Queues messages, waking the reader if it waits. Ignored once finished.
    func append(_ messages: [ConsumedMessage]) {
        guard !messages.isEmpty else { return }
        let woken: (CheckedContinuation<[ConsumedMessage]?, Never>, [ConsumedMessage])? = state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.queued.append(contentsOf: messages)
            guard let reader = state.takeReader() else { return nil }
            return (reader, state.takeQueued())
        }
        if let (reader, batch) = woken { reader.resume(returning: batch) }
    }

    /// Ends the sequence once what is queued has been read.
    func finish() {
        let reader = state.withLockedValue { state in
            state.finished = true
            return state.takeReader()
        }
        reader?.resume(returning: nil)
    }

    /// Everything queued, waiting for some if there is none; nil when finished or cancelled.
    fileprivate func nextBatch() async -> [ConsumedMessage]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now: [ConsumedMessage]?? = state.withLockedValue { state in
                    if Task.isCancelled { return .some(nil) }
                    if !state.queued.isEmpty { return .some(state.takeQueued()) }
                    if state.finished { return .some(nil) }
                    state.reader = continuation
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            state.withLockedValue { $0.takeReader() }?.resume(returning: nil)
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let source: ConsumedMessages
        private var batch: [ConsumedMessage] = []
        private var index = 0

        fileprivate init(source: ConsumedMessages) {
            self.source = source
        }

        public mutating func next() async -> ConsumedMessage? {
            while index == batch.count {
                guard let next = await source.nextBatch() else { return nil }
                batch = next
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: self)
    }
}
