import RocketMQWire

/// Message properties in insertion order, as the Java broker holds them in a `HashMap` before
/// re-serialising: a replaced key keeps its position, a new key goes last. ``text`` is the string the
/// real broker would store (Java `HashMap` iteration order).
struct PropertyList {
    private(set) var pairs: [(key: String, value: String)]

    init(_ text: String) {
        pairs = MessageProperties.decodePairs(text)
    }

    subscript(key: String) -> String? {
        get { pairs.last { $0.key == key }?.value }
        set {
            if let value = newValue {
                if let index = pairs.firstIndex(where: { $0.key == key }) {
                    pairs[index].value = value
                } else {
                    pairs.append((key: key, value: value))
                }
            } else {
                pairs.removeAll { $0.key == key }
            }
        }
    }

    var text: String { MessageProperties.encodeInJavaHashMapOrder(pairs) }
}
