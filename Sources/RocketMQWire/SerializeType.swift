/// How a remoting header is serialized: the high byte of the header-length word (`SerializeType.java`).
public enum SerializeType: UInt8, Sendable, Hashable {
    /// fastjson text header (what the Java client sends by default).
    case json = 0
    /// The compact binary header of `RocketMQSerializable`.
    case rocketmq = 1
}
