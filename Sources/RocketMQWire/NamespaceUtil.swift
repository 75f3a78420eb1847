/// Namespace (instance id) wrapping of topics and groups, Java rules (docs/protocol-remoting.md §7;
/// `NamespaceUtil.java`).
///
/// Stateless; safe from any thread.
public enum NamespaceUtil {
    public static let separator: Character = "%"
    public static let retryPrefix = "%RETRY%"
    public static let dlqPrefix = "%DLQ%"

    /// `%RETRY%<group>`.
    public static func retryTopic(group: String) -> String { retryPrefix + group }

    /// `%DLQ%<group>`.
    public static func dlqTopic(group: String) -> String { dlqPrefix + group }

    /// System topics and groups are never wrapped (a subset of `TopicValidator.isSystemTopic` and
    /// the system group names that a client meets).
    public static func isSystemResource(_ resource: String) -> Bool {
        let systemTopics: Set<String> = [
            "TBW102", "SCHEDULE_TOPIC_XXXX", "BenchmarkTest", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRACE_TOPIC",
            "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT",
        ]
        let systemGroups: Set<String> = [
            "CLIENT_INNER_PRODUCER", "TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "__MONITOR_CONSUMER", "CID_ONS-HTTP-PROXY",
            "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL", "CID_RMQ_SYS_", "SELF_TEST_P_GROUP",
            "SELF_TEST_C_GROUP", "DEFAULT_PRODUCER", "DEFAULT_CONSUMER",
        ]
        return systemTopics.contains(resource) || systemGroups.contains(resource) || resource.hasPrefix("rmq_sys_")
            || resource.hasPrefix("CID_RMQ_SYS_")
    }

    /// Splits a `%RETRY%`/`%DLQ%` prefix off.
    static func splitPrefix(_ resource: String) -> (prefix: String, rest: String) {
        if resource.hasPrefix(retryPrefix) { return (retryPrefix, String(resource.dropFirst(retryPrefix.count))) }
        if resource.hasPrefix(dlqPrefix) { return (dlqPrefix, String(resource.dropFirst(dlqPrefix.count))) }
        return ("", resource)
    }

    /// `namespace%resource`, with a retry/DLQ prefix kept outside (`%RETRY%ns%group`). Unchanged
    /// when the namespace is empty, the resource is a system one, or it is already wrapped.
    public static func wrap(namespace: String?, _ resource: String) -> String {
        guard let namespace, !namespace.isEmpty, !resource.isEmpty, !isSystemResource(resource) else { return resource }
        let (prefix, rest) = splitPrefix(resource)
        if rest.hasPrefix(namespace + String(separator)) { return resource }
        return prefix + namespace + String(separator) + rest
    }

    /// Removes the namespace: everything up to the first `%` after the retry/DLQ prefix (Java
    /// `withoutNamespace`), keeping the prefix.
    public static func unwrap(namespace: String?, _ resource: String) -> String {
        guard let namespace, !namespace.isEmpty else { return resource }
        let (prefix, rest) = splitPrefix(resource)
        guard rest.hasPrefix(namespace + String(separator)) else { return resource }
        return prefix + String(rest.dropFirst(namespace.count + 1))
    }
}
