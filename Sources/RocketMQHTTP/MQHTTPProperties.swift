/// The `<Properties>` string: `key:value|` repeated (docs/protocol-mq-http.md §5).
public enum MQHTTPProperties {
    /// Reserved keys carried as properties.
    public static let keysKey = "KEYS"
    public static let startDeliverTimeKey = "__STARTDELIVERTIME"
    public static let transactionCheckKey = "__TransCheckT"
    public static let shardingKeyKey = "__SHARDINGKEY"
    public static let reservedKeys: Set<String> = [keysKey, startDeliverTimeKey, transactionCheckKey, shardingKeyKey]

    /// Characters the service forbids in property keys and values.
    public static let forbiddenCharacters: Set<Character> = ["'", "\"", "<", ">", "&", ":", "|"]

    /// The first forbidden character of `text`, if any.
    public static func forbiddenCharacter(in text: String) -> Character? {
        text.first(where: forbiddenCharacters.contains)
    }

    /// Sorted by key so the same properties always make the same bytes.
    public static func encode(_ properties: [String: String]) -> String {
        properties.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)|" }.joined()
    }

    /// The SDKs' lenient parse: items without exactly one key and one value are dropped.
    public static func decode(_ text: String) -> [String: String] {
        var properties: [String: String] = [:]
        for item in text.split(separator: "|") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { continue }
            properties[String(parts[0])] = String(parts[1])
        }
        return properties
    }
}
