/// Permission bits of a topic or broker (`PermName.java`).
public enum Permission {
    public static let priority: Int32 = 8
    public static let read: Int32 = 4
    public static let write: Int32 = 2
    public static let inherit: Int32 = 1
}

/// Why a body could not be parsed into its typed form.
public struct RemotingBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body type, e.g. `"TopicRouteData"`.
    public var body: String
    public var reason: String

    public init(body: String, reason: String) {
        self.body = body
        self.reason = reason
    }

    public var description: String { "cannot parse \(body): \(reason)" }

    static func parse(_ bytes: [UInt8], as body: String, maxDepth: Int = 32) throws -> JSONValue {
        do {
            return try JSONValue.parse(bytes, maxDepth: maxDepth)
        } catch let error as JSONParseError {
            throw RemotingBodyError(body: body, reason: error.description)
        }
    }
}

/// One queue layout of a topic on a broker (`QueueData.java`).
public struct QueueData: Sendable, Hashable {
    public var brokerName: String
    public var readQueueNums: Int32
    public var writeQueueNums: Int32
    public var perm: Int32
    /// `topicSysFlag` (4.9+), or `topicSynFlag` (≤ 4.8) on decode.
    public var topicSysFlag: Int32

    public init(brokerName: String, readQueueNums: Int32, writeQueueNums: Int32, perm: Int32, topicSysFlag: Int32 = 0) {
        self.brokerName = brokerName
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicSysFlag = topicSysFlag
    }
}

/// A broker set (master + slaves) of a cluster (`BrokerData.java`).
public struct BrokerData: Sendable, Hashable {
    public var cluster: String
    public var brokerName: String
    /// brokerId → `ip:port`; id 0 is the master.
    public var brokerAddrs: [Int64: String]

    public init(cluster: String, brokerName: String, brokerAddrs: [Int64: String]) {
        self.cluster = cluster
        self.brokerName = brokerName
        self.brokerAddrs = brokerAddrs
    }

    /// The master address (`brokerAddrs[0]`).
    public var masterAddress: String? { brokerAddrs[0] }
}

/// The GET_ROUTEINFO_BY_TOPIC body (docs/protocol-remoting.md §3).
///
/// Parses both name-server forms: standard JSON (`{"0":"ip:port"}`) and fastjson's bare integer keys
/// (`{0:"ip:port"}`); unknown keys (5.x additions) are ignored. Encodes the exact fastjson bytes of
/// either form. A value type; safe from any thread.
public struct TopicRouteData: Sendable, Hashable {
    public var orderTopicConf: String?
    public var queueDatas: [QueueData]
    public var brokerDatas: [BrokerData]
    /// brokerAddr → filter server addresses (usually empty).
    public var filterServerTable: [String: [String]]

    public init(orderTopicConf: String? = nil, queueDatas: [QueueData], brokerDatas: [BrokerData], filterServerTable: [String: [String]] = [:]) {
        self.orderTopicConf = orderTopicConf
        self.queueDatas = queueDatas
        self.brokerDatas = brokerDatas
        self.filterServerTable = filterServerTable
    }

    /// Parses a route body of either key style.
    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "TopicRouteData")
        guard case .object = json else { throw RemotingBodyError(body: "TopicRouteData", reason: "not an object") }
        orderTopicConf = json["orderTopicConf"]?.stringValue
        queueDatas = try (json["queueDatas"]?.arrayValue ?? []).map { q in
            guard let name = q["brokerName"]?.stringValue else {
                throw RemotingBodyError(body: "TopicRouteData", reason: "queueData without brokerName")
            }
            return QueueData(
                brokerName: name,
                readQueueNums: q["readQueueNums"]?.int32Value ?? 0,
                writeQueueNums: q["writeQueueNums"]?.int32Value ?? 0,
                perm: q["perm"]?.int32Value ?? 0,
                topicSysFlag: (q["topicSysFlag"] ?? q["topicSynFlag"])?.int32Value ?? 0
            )
        }
        brokerDatas = try (json["brokerDatas"]?.arrayValue ?? []).map { b in
            guard let name = b["brokerName"]?.stringValue else {
                throw RemotingBodyError(body: "TopicRouteData", reason: "brokerData without brokerName")
            }
            var addrs: [Int64: String] = [:]
            for member in b["brokerAddrs"]?.objectValue ?? [] {
                guard let id = Int64(member.key), let address = member.value.stringValue else {
                    throw RemotingBodyError(body: "TopicRouteData", reason: "bad brokerAddrs entry \(member.key)")
                }
                addrs[id] = address
            }
            return BrokerData(cluster: b["cluster"]?.stringValue ?? "", brokerName: name, brokerAddrs: addrs)
        }
        var filters: [String: [String]] = [:]
        for member in json["filterServerTable"]?.objectValue ?? [] {
            filters[member.key] = (member.value.arrayValue ?? []).compactMap(\.stringValue)
        }
        filterServerTable = filters
    }

    /// The fastjson bytes: `standardJSON` = the name server's answer to version ≥ 401 or
    /// `acceptStandardJsonOnly` (quoted keys, `BrowserCompatible` escaping); otherwise plain fastjson
    /// with bare integer `brokerAddrs` keys. Keys are sorted, as both forms sort them.
    public func encoded(standardJSON: Bool) -> [UInt8] {
        var w = FastJSONWriter(options: .init(escapeNonASCII: standardJSON, bareIntegerKeys: !standardJSON))
        w.raw("{")
        w.key("brokerDatas")
        w.raw("[")
        for (i, broker) in brokerDatas.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            w.key("brokerAddrs")
            w.raw("{")
            for (j, id) in broker.brokerAddrs.keys.sorted().enumerated() {
                if j > 0 { w.raw(",") }
                w.key(String(id))
                w.string(broker.brokerAddrs[id] ?? "")
            }
            w.raw("},")
            w.key("brokerName")
            w.string(broker.brokerName)
            w.raw(",")
            w.key("cluster")
            w.string(broker.cluster)
            w.raw("}")
        }
        w.raw("],")
        w.key("filterServerTable")
        w.raw("{")
        for (i, address) in filterServerTable.keys.sorted().enumerated() {
            if i > 0 { w.raw(",") }
            w.string(address)
            w.raw(":[")
            for (j, server) in (filterServerTable[address] ?? []).enumerated() {
                if j > 0 { w.raw(",") }
                w.string(server)
            }
            w.raw("]")
        }
        w.raw("},")
        if let orderTopicConf {
            w.key("orderTopicConf")
            w.string(orderTopicConf)
            w.raw(",")
        }
        w.key("queueDatas")
        w.raw("[")
        for (i, queue) in queueDatas.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{")
            w.key("brokerName")
            w.string(queue.brokerName)
            w.raw(",")
            w.key("perm")
            w.integer(Int64(queue.perm))
            w.raw(",")
            w.key("readQueueNums")
            w.integer(Int64(queue.readQueueNums))
            w.raw(",")
            w.key("topicSysFlag")
            w.integer(Int64(queue.topicSysFlag))
            w.raw(",")
            w.key("writeQueueNums")
            w.integer(Int64(queue.writeQueueNums))
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }

    /// Queues a producer may send to (docs/protocol-remoting.md §3.4): QueueDatas with the WRITE bit
    /// whose broker has a master address, sorted by broker name, `writeQueueNums` queues each.
    public func publishQueues(topic: String) -> [MessageQueue] {
        queueDatas
            .filter { $0.perm & Permission.write != 0 }
            .sorted { $0.brokerName < $1.brokerName }
            .filter { queue in brokerDatas.contains { $0.brokerName == queue.brokerName && $0.masterAddress != nil } }
            .flatMap { queue in
                (0..<max(0, queue.writeQueueNums)).map { MessageQueue(topic: topic, brokerName: queue.brokerName, queueId: $0) }
            }
    }

    /// Queues a consumer may pull from: QueueDatas with the READ bit, `readQueueNums` queues each.
    public func subscribeQueues(topic: String) -> [MessageQueue] {
        queueDatas
            .filter { $0.perm & Permission.read != 0 }
            .flatMap { queue in
                (0..<max(0, queue.readQueueNums)).map { MessageQueue(topic: topic, brokerName: queue.brokerName, queueId: $0) }
            }
            .sorted()
    }

    /// The master address of `brokerName`, if the route knows one.
    public func masterAddress(brokerName: String) -> String? {
        brokerDatas.first { $0.brokerName == brokerName }?.masterAddress
    }
}
