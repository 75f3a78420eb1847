/// Namespace (`instanceId`) wrapping (spec §7): `ns%name` on the wire, `%RETRY%ns%group` for retry
/// topics, and the plain name again in what the application sees. A value type.
struct Namespace: Sendable, Equatable {
    static let retryPrefix = "%RETRY%"
    static let dlqPrefix = "%DLQ%"

    let name: String?

    /// `ns%resource`, unless already wrapped; system prefixes stay outside.
    func wrap(_ resource: String) -> String {
        guard let name, !name.isEmpty else { return resource }
        for prefix in [Self.retryPrefix, Self.dlqPrefix] where resource.hasPrefix(prefix) {
            return prefix + wrap(String(resource.dropFirst(prefix.count)))
        }
        if resource.hasPrefix(name + "%") { return resource }
        return name + "%" + resource
    }

    /// The resource without `ns%` (the retry/DLQ prefix kept).
    func unwrap(_ resource: String) -> String {
        guard let name, !name.isEmpty else { return resource }
        for prefix in [Self.retryPrefix, Self.dlqPrefix] where resource.hasPrefix(prefix) {
            return prefix + unwrap(String(resource.dropFirst(prefix.count)))
        }
        if resource.hasPrefix(name + "%") { return String(resource.dropFirst(name.count + 1)) }
        return resource
    }

    func retryTopic(group: String) -> String { Self.retryPrefix + wrap(group) }
}
