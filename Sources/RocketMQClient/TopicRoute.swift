import RocketMQWire

/// A topic's route (TopicRouteData, spec §3): which brokers hold it, their addresses and how many
/// queues each offers for reading and writing.
///
/// Parsed with the wire module's fastjson-tolerant JSON parser, so both the standard form and the
/// legacy bare-integer broker-id keys are accepted. A value type.
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
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            throw RocketMQError.protocolViolation("route: \(error)")
        }
        let queues = (json["queueDatas"]?.arrayValue ?? []).compactMap { item -> QueueData? in
            guard let name = item["brokerName"]?.stringValue else { return nil }
            return QueueData(
                brokerName: name,
                readQueueNums: item["readQueueNums"]?.intValue ?? 0,
                writeQueueNums: item["writeQueueNums"]?.intValue ?? 0,
                perm: item["perm"]?.intValue ?? 0)
        }
        let brokers = (json["brokerDatas"]?.arrayValue ?? []).compactMap { item -> BrokerData? in
            guard let name = item["brokerName"]?.stringValue else { return nil }
            var addresses: [Int64: String] = [:]
            for (key, value) in item["brokerAddrs"]?.objectValue ?? [] {
                if let id = Int64(key), let address = value.stringValue { addresses[id] = address }
            }
            return BrokerData(brokerName: name, cluster: item["cluster"]?.stringValue ?? "", addresses: addresses)
        }
        return TopicRoute(queueDatas: queues, brokerDatas: brokers)
    }

    /// The master address of a broker (sends, offsets, locks, pulls go there).
    func masterAddress(of brokerName: String) -> String? {
        brokerDatas.first { $0.brokerName == brokerName }?.addresses[0]
    }

    /// Every master address of the route.
    var masterAddresses: [String] {
        brokerDatas.compactMap { $0.addresses[0] }
    }

    /// Queues a producer may write to: WRITE permission and a master, brokers sorted by name (spec §3.4).
    func publishQueues(topic: String) -> [MessageQueue] {
        queueDatas.filter { $0.perm & Self.permWrite != 0 && masterAddress(of: $0.brokerName) != nil }
            .sorted { $0.brokerName < $1.brokerName }
            .flatMap { data in (0..<Int32(data.writeQueueNums)).map { MessageQueue(topic: topic, brokerName: data.brokerName, queueId: $0) } }
    }

    /// Queues a consumer may read: READ permission (spec §3.4).
    func subscribeQueues(topic: String) -> [MessageQueue] {
        queueDatas.filter { $0.perm & Self.permRead != 0 }
            .flatMap { data in (0..<Int32(data.readQueueNums)).map { MessageQueue(topic: topic, brokerName: data.brokerName, queueId: $0) } }
            .sorted()
    }
}
