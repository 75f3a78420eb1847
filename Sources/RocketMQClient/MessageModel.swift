/// How a consumer group shares the messages of its topics (docs/protocol-remoting.md §5.9).
public enum MessageModel: Sendable, Equatable {
    /// Each message goes to one member of the group; the group's offsets are kept on the broker,
    /// and a failure goes back to the broker's retry topic.
    case clustering
    /// Each member receives every message, on every queue; this member's offsets are kept in the
    /// local file `offsetFile` (`LocalOffsetStore`), and a failure is delivered again here.
    case broadcasting(offsetFile: String)

    /// The heartbeat's `messageModel` (docs/protocol-remoting.md §2.7).
    var wireName: String {
        switch self {
        case .clustering: return "CLUSTERING"
        case .broadcasting: return "BROADCASTING"
        }
    }
}
