import RocketMQWire

/// A topic's route (TopicRouteData, docs/protocol-remoting.md §3): which brokers hold it, their
/// addresses and how many queues each offers for reading and writing.
///
/// Parsed by the wire module's `TopicRouteData` (fastjson-tolerant: both the standard form and the
/// legacy bare-integer broker-id keys are accepted); this is the client's view with the queue
/// selection rules of docs/protocol-remoting.md §3.4. A value type.
struct TopicRoute: Sendable, Equatable {
    struct QueueData: Sendable, Equatable {
        var brokerName: String
        var readQueueNums: Int
        var writeQueueNums: Int
        var perm: Int
    }

    struct BrokerData: Sendable, Equatable {
        var brokerName: String
        var cluster: String
        /// brokerId → address; 0 is the master.
        var addresses: [Int64: String]
    }

    static let permRead = 4
    static let permWrite = 2

    var queueDatas: [QueueData]
    var brokerDatas: [BrokerData]

    static func parse(_ body: [UInt8]) throws -> TopicRoute {
        let data: TopicRouteData
        do {
            data = try TopicRouteData(body: body)
        } catch {
            throw RocketMQError.protocolViolation("route: \(error)")
        }
        return TopicRoute(
            queueDatas: data.queueDatas.map {
                QueueData(
                    brokerName: $0.brokerName, readQueueNums: Int($0.readQueueNums), writeQueueNums: Int($0.writeQueueNums),
                    perm: Int($0.perm))
            },
            brokerDatas: data.brokerDatas.map {
                BrokerData(brokerName: $0.brokerName, cluster: $0.cluster, addresses: $0.brokerAddrs)
            })
    }

    /// The master address of a broker (sends, offsets, locks, pulls go there).
    func masterAddress(of brokerName: String) -> String? {
        brokerDatas.first { $0.brokerName == brokerName }?.addresses[0]
    }

    /// Every master address of the route.
    var masterAddresses: [String] {
        brokerDatas.compactMap { $0.addresses[0] }
    }

    /// Queues a producer may write to: WRITE permission and a master, brokers sorted by name
    /// (docs/protocol-remoting.md §3.4).
    func publishQueues(topic: String) -> [MessageQueue] {
        queueDatas.filter { $0.perm & Self.permWrite != 0 && masterAddress(of: $0.brokerName) != nil }
            .sorted { $0.brokerName < $1.brokerName }
            .flatMap { data in (0..<Int32(data.writeQueueNums)).map { MessageQueue(topic: topic, brokerName: data.brokerName, queueId: $0) } }
    }

    /// Queues a consumer may read: READ permission (docs/protocol-remoting.md §3.4).
    func subscribeQueues(topic: String) -> [MessageQueue] {
        queueDatas.filter { $0.perm & Self.permRead != 0 }
            .flatMap { data in (0..<Int32(data.readQueueNums)).map { MessageQueue(topic: topic, brokerName: data.brokerName, queueId: $0) } }
            .sorted()
    }
}
