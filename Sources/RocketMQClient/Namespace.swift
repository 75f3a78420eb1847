import RocketMQWire

/// Namespace (`instanceId`) wrapping (docs/protocol-remoting.md §7): `ns%name` on the wire,
/// `%RETRY%ns%group` for retry topics, and the plain name again in what the application sees. Delegates
/// to the wire module's `NamespaceUtil` (system topics and groups stay unwrapped, as in Java). A value
/// type.
struct Namespace: Sendable, Equatable {
    static let retryPrefix = NamespaceUtil.retryPrefix
    static let dlqPrefix = NamespaceUtil.dlqPrefix

    let name: String?

    func wrap(_ resource: String) -> String {
        NamespaceUtil.wrap(namespace: name, resource)
    }

    func unwrap(_ resource: String) -> String {
        NamespaceUtil.unwrap(namespace: name, resource)
    }

    func retryTopic(group: String) -> String { NamespaceUtil.retryTopic(group: wrap(group)) }
}
