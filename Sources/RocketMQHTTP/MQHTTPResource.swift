/// The path and query of each operation, with parameters in the Go SDK's order
/// (docs/protocol-mq-http.md §1), without a leading `/`. `topic`, `consumer` and `ns` go in raw, as
/// every SDK sends them (the binding validates them to RocketMQ's name characters); only the tag is
/// query-escaped.
public enum MQHTTPResource {
    public static func publish(topic: String, instance: String?) -> String {
        "topics/\(topic)/messages" + namespace(instance, first: true)
    }

    /// `count` outside 1...16 is sent as 16 (the SDK's rule); `waitSeconds` only when 1...30.
    public static func consume(topic: String, group: String, instance: String?, count: Int, waitSeconds: Int, tag: String?) -> String {
        var resource = "topics/\(topic)/messages?consumer=\(group)" + namespace(instance, first: false)
        resource += "&numOfMessages=\((1...16).contains(count) ? count : 16)"
        if (1...30).contains(waitSeconds) { resource += "&waitseconds=\(waitSeconds)" }
        if let tag, !tag.isEmpty { resource += "&tag=\(queryEscape(tag))" }
        return resource
    }

    public static func ack(topic: String, group: String, instance: String?) -> String {
        "topics/\(topic)/messages?consumer=\(group)" + namespace(instance, first: false)
    }

    private static func namespace(_ instance: String?, first: Bool) -> String {
        guard let instance, !instance.isEmpty else { return "" }
        return (first ? "?" : "&") + "ns=\(instance)"
    }

    /// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the rest `%XX` (upper case).
    public static func queryEscape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                escaped += "+"
            default:
                escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
