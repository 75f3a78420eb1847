/// The `AllocateMessageQueueAveragely` strategy of the Java and Go clients
/// (docs/protocol-remoting.md §5.3), bit for bit, so that a Swift consumer and a Java or Go consumer in
/// one group agree on who owns which queue.
///
/// A pure function: safe from any thread.
public enum AllocateAveragely {
    /// The queues `currentClientID` owns.
    ///
    /// - Parameters:
    ///   - queues: every subscribable queue of the topic; sorted here, so the caller's order does not matter.
    ///   - clientIDs: every member of the group (GET_CONSUMER_LIST_BY_GROUP); sorted here as strings.
    ///   - currentClientID: this client; when it is not a member it owns nothing (it will be after its
    ///     next heartbeat reaches the broker).
    public static func allocate<Queue: Comparable>(
        queues: [Queue], clientIDs: [String], currentClientID: String
    ) -> [Queue] {
        let mqAll = queues.sorted()
        let cidAll = clientIDs.sorted()
        guard !mqAll.isEmpty, let index = cidAll.firstIndex(of: currentClientID) else { return [] }
        let mod = mqAll.count % cidAll.count
        let averageSize: Int
        if mqAll.count <= cidAll.count {
            averageSize = 1
        } else if mod > 0 && index < mod {
            averageSize = mqAll.count / cidAll.count + 1
        } else {
            averageSize = mqAll.count / cidAll.count
        }
        let startIndex = (mod > 0 && index < mod) ? index * averageSize : index * averageSize + mod
        let range = min(averageSize, mqAll.count - startIndex)
        guard range > 0 else { return [] }
        return (0..<range).map { mqAll[(startIndex + $0) % mqAll.count] }
    }
}
