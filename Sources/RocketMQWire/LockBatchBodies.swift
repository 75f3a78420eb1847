/// LOCK_BATCH_MQ request body: `{"clientId":...,"consumerGroup":...,"mqSet":[...]}`
/// (docs/protocol-remoting.md §2.15).
public struct LockBatchRequestBody: Sendable, Equatable, Codable {
    public var consumerGroup: String
    public var clientId: String
    public var mqSet: [MessageQueue]

    public init(consumerGroup: String, clientId: String, mqSet: [MessageQueue]) {
        self.consumerGroup = consumerGroup
        self.clientId = clientId
        self.mqSet = mqSet
    }

    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "LockBatchRequestBody")
        consumerGroup = json["consumerGroup"]?.stringValue ?? ""
        clientId = json["clientId"]?.stringValue ?? ""
        mqSet = (json["mqSet"]?.arrayValue ?? []).compactMap(MessageQueue.init(json:))
    }

    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.value(.object([
            (key: "clientId", value: .string(clientId)),
            (key: "consumerGroup", value: .string(consumerGroup)),
            (key: "mqSet", value: .array(mqSet.map(\.jsonValue))),
        ]))
        return w.bytes
    }
}

/// UNLOCK_BATCH_MQ request body: the same shape as the lock request.
public typealias UnlockBatchRequestBody = LockBatchRequestBody

/// LOCK_BATCH_MQ response body: `{"lockOKMQSet":[...]}`.
public struct LockBatchResponseBody: Sendable, Equatable, Codable {
    public var lockOKMQSet: [MessageQueue]

    public init(lockOKMQSet: [MessageQueue]) {
        self.lockOKMQSet = lockOKMQSet
    }

    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "LockBatchResponseBody")
        lockOKMQSet = (json["lockOKMQSet"]?.arrayValue ?? []).compactMap(MessageQueue.init(json:))
    }

    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.value(.object([(key: "lockOKMQSet", value: .array(lockOKMQSet.map(\.jsonValue)))]))
        return w.bytes
    }
}
