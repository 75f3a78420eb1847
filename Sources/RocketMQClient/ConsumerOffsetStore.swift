import Logging
import RocketMQWire

/// Where a push consumer reads and writes its offsets (docs/protocol-remoting.md §5.7): on the
/// broker for a clustering group (one offset per queue for the whole group), in the member's own
/// file for a broadcasting one (one offset per queue for each member, §5.9).
enum ConsumerOffsetStore: Sendable {
    case broker(BrokerOperations, group: String)
    case local(LocalOffsetStore)

    /// The stored next offset of `queue`; nil when none is stored.
    func storedOffset(of queue: MessageQueue) async throws -> Int64? {
        switch self {
        case .broker(let broker, let group):
            return try await broker.queryOffset(group: group, queue: queue)
        case .local(let store):
            return store.offset(of: queue)
        }
    }

    /// Stores `commits` and returns those that were stored (the broker took them, or the file was
    /// written); a failure is logged and the rest are tried again at the next persist.
    func store(_ commits: [ConsumerStateMachine.OffsetCommit], logger: Logger) async -> [ConsumerStateMachine.OffsetCommit] {
        switch self {
        case .broker(let broker, let group):
            var stored: [ConsumerStateMachine.OffsetCommit] = []
            for commit in commits {
                do {
                    try await broker.updateOffset(group: group, queue: commit.queue, offset: commit.offset)
                    stored.append(commit)
                } catch {
                    logger.warning(
                        "offset not persisted",
                        metadata: ["queue": "\(commit.queue)", "offset": "\(commit.offset)", "error": "\(error)"])
                }
            }
            return stored
        case .local(let store):
            guard !commits.isEmpty else { return [] }
            for commit in commits { store.update(commit.queue, to: commit.offset) }
            do {
                try await store.persistOffThread()
                return commits
            } catch {
                logger.warning("offsets not persisted", metadata: ["error": "\(error)"])
                return []
            }
        }
    }
}
