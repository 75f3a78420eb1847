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

    /// The inverse for the query parameters of a request (the test server reads them with it).
    public static func queryUnescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                      let value = UInt8(String(text[high...utf8.index(after: high)]), radix: 16) else { return nil }
                bytes.append(value)
                index = utf8.index(high, offsetBy: 2)
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
