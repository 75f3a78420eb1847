import Logging
import NIOCore
import RocketMQWire

/// How a ``RocketMQTestBroker`` behaves. Every default mirrors a stock 4.9.8 broker and name server
/// (autoCreateTopicEnable=true, 4 default queues, 16 reconsume times, the 18 default delay levels).
public struct RocketMQTestBrokerConfiguration: Sendable {
    /// Plain-ACL account the broker checks every request against (docs/protocol-remoting.md §6).
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String

        public init(accessKey: String, secretKey: String) {
            self.accessKey = accessKey
            self.secretKey = secretKey
        }
    }

    /// The `version` every answer carries (`MQVersion` ordinal, docs/protocol-remoting.md §1.6):
    /// 409 is 4.9.8. From 413 (5.0.0) on the broker also models RocketMQ 5 timer messages: a
    /// message with `TIMER_DELIVER_MS` in the future is parked in `rmq_sys_wheel_timer` and
    /// delivered to its topic at that time; a 4.x broker keeps the property as an ordinary one.
    public var version: Int32 = 409
    /// Interface to bind; loopback by default. Ports are always ephemeral.
    public var host: String = "127.0.0.1"
    public var brokerName: String = "broker-a"
    public var clusterName: String = "DefaultCluster"
    /// Topics created at start: name → queue count (read = write).
    public var topics: [String: Int32] = [:]
    /// Create unknown topics on SEND (with the header's `defaultTopicQueueNums`), like
    /// `autoCreateTopicEnable=true`. When false, sends to unknown topics get 17 TOPIC_NOT_EXIST.
    public var autoCreateTopics: Bool = true
    /// Queue count of topics created without an explicit count.
    public var defaultQueueNums: Int32 = 4
    /// The group's `retryMaxTimes` (used when a request does not carry `maxReconsumeTimes`).
    public var maxReconsumeTimes: Int32 = 16
    /// Delay of levels 1...18 (`messageDelayLevel`).
    public var delayLevels: [TimeAmount] = [
        .seconds(1), .seconds(5), .seconds(10), .seconds(30), .minutes(1), .minutes(2), .minutes(3), .minutes(4),
        .minutes(5), .minutes(6), .minutes(7), .minutes(8), .minutes(9), .minutes(10), .minutes(20), .minutes(30),
        .hours(1), .hours(2),
    ]
    /// Multiplies every delay level, so tests need not wait 10 s for a retry (e.g. 0.01 → 100 ms).
    public var delayTimeScale: Double = 1.0
    /// Upper bound for a long-poll hold, whatever `suspendTimeoutMillis` the client asks for.
    public var maxSuspendTime: TimeAmount? = nil
    /// When set, every broker request must carry a valid signature for this account.
    public var acl: Credentials? = nil
    /// The code of an ACL refusal. A real 4.9.8 broker answers 1 SYSTEM_ERROR with the
    /// `AclException` text (golden producer-acl.jsonl); set 16 NO_PERMISSION to test that path.
    public var aclDenialCode: ResponseCode = .systemError
    /// How long a queue lock lives without renewal (`rocketmq.broker.rebalance.lockMaxLiveTime`).
    public var lockMaxLiveTime: TimeAmount = .seconds(60)
    /// `enablePropertyFilter`: whether consumers may filter by SQL92 expressions over message
    /// properties. Off by default, as in a stock broker: CHECK_CLIENT_CONFIG and pulls of a SQL92
    /// subscription are then refused with 1 SYSTEM_ERROR (docs/protocol-remoting.md §2.17).
    public var enablePropertyFilter: Bool = false
    public var logger: Logger = Logger(label: "rocketmq.test-broker")

    public init() {}
}
