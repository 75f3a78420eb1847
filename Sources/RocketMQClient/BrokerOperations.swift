import Logging
import NIOCore
import RocketMQWire

/// Every consumer-side broker request in one place (docs/protocol-remoting.md §2.5–§2.11, §2.15):
/// offsets, pulls, heartbeats (the producer's too), membership, send-back, locks. Names on the wire are
/// already namespace-wrapped by the caller. Thread-safe (a value holding thread-safe references).
///
/// Each request is built from the Wire module's typed header for its code (the type the test broker
/// decodes), by the `...Request` functions below; HEART_BEAT and LOCK/UNLOCK_BATCH_MQ carry no
/// header in 4.9.8, only a body.
struct BrokerOperations: Sendable {
    let pool: ConnectionPool
    let nameServer: NameServerClient
    let requestTimeout: TimeAmount
    let logger: Logger

    /// The master address of the broker holding `queue`.
    func masterAddress(for queue: MessageQueue) async throws -> String {
        let route = try await nameServer.route(for: queue.topic)
        if let address = route.masterAddress(of: queue.brokerName) { return address }
        let fresh = try await nameServer.route(for: queue.topic, forceRefresh: true)
        guard let address = fresh.masterAddress(of: queue.brokerName) else {
            throw RocketMQError.unreachable(address: queue.brokerName, reason: "no master address for broker")
        }
        return address
    }

    /// QUERY_CONSUMER_OFFSET: the stored offset, or nil when the broker has none (code 22).
    func queryOffset(group: String, queue: MessageQueue) async throws -> Int64? {
        let address = try await masterAddress(for: queue)
        let response = try await pool.request(address, Self.queryOffsetRequest(group: group, queue: queue), timeout: requestTimeout)
        switch response.responseCode {
        case .success:
            guard let offset = response.extFields["offset"].flatMap({ Int64($0) }) else {
                throw RocketMQError.protocolViolation("QUERY_CONSUMER_OFFSET response without offset")
            }
            return offset
        case .queryNotFound:
            return nil
        default:
            throw ResponseErrors.error(for: response, topic: queue.topic)
        }
    }

    /// UPDATE_CONSUMER_OFFSET, waiting for the broker's answer (so a later reader sees it).
    func updateOffset(group: String, queue: MessageQueue, offset: Int64) async throws {
        let address = try await masterAddress(for: queue)
        let response = try await pool.request(
            address, Self.updateOffsetRequest(group: group, queue: queue, offset: offset), timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response, topic: queue.topic) }
    }

    /// GET_MAX_OFFSET (the next offset to be written) or SEARCH_OFFSET_BY_TIMESTAMP.
    func offset(of queue: MessageQueue, atTimestamp timestamp: Int64? = nil) async throws -> Int64 {
        let address = try await masterAddress(for: queue)
        let response = try await pool.request(address, Self.offsetRequest(queue: queue, atTimestamp: timestamp), timeout: requestTimeout)
        guard response.responseCode == .success, let offset = response.extFields["offset"].flatMap({ Int64($0) }) else {
            throw ResponseErrors.error(for: response, topic: queue.topic)
        }
        return offset
    }

    /// Where a group starts on a queue: the stored offset, else the policy of
    /// docs/protocol-remoting.md §5.6.
    func startOffset(group: String, queue: MessageQueue, policy: ConsumeFromWhere) async throws -> Int64 {
        try await startOffset(stored: try await queryOffset(group: group, queue: queue), queue: queue, policy: policy)
    }

    /// Where consumption of `queue` starts given the offset stored for it (the broker's, or a
    /// broadcasting member's own file): that offset, else the policy of docs/protocol-remoting.md §5.6.
    func startOffset(stored: Int64?, queue: MessageQueue, policy: ConsumeFromWhere) async throws -> Int64 {
        if let stored, stored >= 0 { return stored }
        let isRetry = queue.topic.hasPrefix(Namespace.retryPrefix)
        switch policy {
        case .lastOffset:
            return isRetry ? 0 : try await offset(of: queue)
        case .firstOffset:
            return 0
        case .timestamp(let millis):
            return isRetry ? try await offset(of: queue) : try await offset(of: queue, atTimestamp: millis)
        }
    }

    enum PullResult: Sendable {
        case found(messages: [StoredMessage], nextBeginOffset: Int64)
        /// NO_NEW_MSG (19) / NO_MATCHED_MSG (20): move on to `nextBeginOffset`.
        case noNewMessages(nextBeginOffset: Int64)
        /// OFFSET_ILLEGAL (21).
        case offsetMoved(nextBeginOffset: Int64)

        /// Where the next pull of the queue starts.
        var nextBeginOffset: Int64 {
            switch self {
            case .found(_, let next), .noNewMessages(let next), .offsetMoved(let next): return next
            }
        }
    }

    /// PULL_MESSAGE with long polling; the subscription travels with the request so the broker
    /// needs no heartbeat for it (lite pull) and never answers SUBSCRIPTION_NOT_EXIST.
    func pull(
        group: String, queue: MessageQueue, offset: Int64, maxMessages: Int, subscription: Subscription,
        suspend: TimeAmount?
    ) async throws -> PullResult {
        try await pullWithMaxOffset(group: group, queue: queue, offset: offset, maxMessages: maxMessages,
                                    subscription: subscription, suspend: suspend).result
    }

    /// `pull`, with the queue's `maxOffset` the answer carries (nil when it carries none): how
    /// far the queue goes past what this pull reached, for the consumer lag.
    func pullWithMaxOffset(
        group: String, queue: MessageQueue, offset: Int64, maxMessages: Int, subscription: Subscription,
        suspend: TimeAmount?
    ) async throws -> (result: PullResult, maxOffset: Int64?) {
        let address = try await masterAddress(for: queue)
        let request = Self.pullRequest(
            group: group, queue: queue, offset: offset, maxMessages: maxMessages, subscription: subscription, suspend: suspend)
        // The socket wait must outlast the broker's hold (docs/protocol-remoting.md §2.5).
        let timeout = (suspend ?? .zero) + requestTimeout + .seconds(5)
        let response = try await pool.request(address, request, timeout: timeout)
        let next = response.extFields["nextBeginOffset"].flatMap { Int64($0) }
        let maxOffset = response.extFields["maxOffset"].flatMap { Int64($0) }
        switch response.responseCode {
        case .success:
            let messages: [StoredMessage]
            do {
                messages = try StoredMessageDecoder.decodeAll(response.body)
            } catch {
                throw RocketMQError.protocolViolation("pull body from \(address): \(error)")
            }
            let fallback = (messages.last?.queueOffset).map { $0 + 1 } ?? offset
            return (.found(messages: messages, nextBeginOffset: next ?? fallback), maxOffset)
        case .pullNotFound, .pullRetryImmediately:
            return (.noNewMessages(nextBeginOffset: next ?? offset), maxOffset)
        case .pullOffsetMoved:
            return (.offsetMoved(nextBeginOffset: next ?? offset), maxOffset)
        default:
            throw ResponseErrors.error(for: response, topic: queue.topic)
        }
    }

    /// GET_CONSUMER_LIST_BY_GROUP, asked of `address`.
    func consumerList(group: String, address: String) async throws -> [String] {
        let response = try await pool.request(address, Self.consumerListRequest(group: group), timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response) }
        do {
            return try ConsumerListBody(body: response.body).consumerIdList
        } catch {
            throw RocketMQError.protocolViolation("consumer list: \(error)")
        }
    }

    /// HEART_BEAT with the given data.
    /// HEART_BEAT with the given data; returns the broker's `version` (its `MQVersion` ordinal,
    /// docs/protocol-remoting.md §1.6), which tells a 4.x broker from a 5.x one.
    @discardableResult
    func heartbeat(_ data: HeartbeatData, address: String) async throws -> Int32 {
        let response = try await pool.request(address, Self.heartbeatRequest(data), timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response) }
        return response.version
    }

    /// HEART_BEAT to each address in turn; a failure is logged and the next broker still gets its own.
    func heartbeat(_ data: HeartbeatData, to addresses: [String]) async {
        for address in addresses {
            do {
                try await heartbeat(data, address: address)
            } catch {
                logger.warning("heartbeat failed", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
    }

    /// CHECK_CLIENT_CONFIG (46), asked of `address`: whether the broker accepts `subscription`'s
    /// filter. Throws `.subscriptionRefused` with the broker's code and remark when it does not
    /// (docs/protocol-remoting.md §2.17).
    func checkClientConfig(group: String, clientID: String, subscription: SubscriptionData, address: String) async throws {
        let request = Self.checkClientConfigRequest(group: group, clientID: clientID, subscription: subscription)
        let response = try await pool.request(address, request, timeout: requestTimeout)
        switch response.responseCode {
        case .success:
            return
        case .systemError where response.remark?.contains("AclException") == true:
            throw ResponseErrors.error(for: response)
        case .systemError, .subscriptionParseFailed, .requestCodeNotSupported:
            // Not supported (enablePropertyFilter off, or a broker without the request), or the
            // expression does not compile: waiting will not change either.
            throw RocketMQError.subscriptionRefused(topic: subscription.topic, code: response.responseCode, remark: response.remark)
        default:
            throw ResponseErrors.error(for: response)
        }
    }

    /// UNREGISTER_CLIENT.
    func unregister(clientID: String, consumerGroup: String?, producerGroup: String?, address: String) async throws {
        let request = Self.unregisterRequest(clientID: clientID, consumerGroup: consumerGroup, producerGroup: producerGroup)
        let response = try await pool.request(address, request, timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response) }
    }

    /// CONSUMER_SEND_MSG_BACK (docs/protocol-remoting.md §2.10): the broker redelivers through
    /// `%RETRY%<group>`, or moves the message to `%DLQ%<group>` after `maxReconsumeTimes` (or at once
    /// for `delayLevel < 0`).
    func sendBack(
        group: String, message: StoredMessage, queue: MessageQueue, delayLevel: Int, maxReconsumeTimes: Int
    ) async throws {
        let address = try await masterAddress(for: queue)
        let request = Self.sendBackRequest(
            group: group, message: message, queue: queue, delayLevel: delayLevel, maxReconsumeTimes: maxReconsumeTimes)
        let response = try await pool.request(address, request, timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response, topic: queue.topic) }
    }

    /// LOCK_BATCH_MQ: the queues the broker granted.
    func lock(group: String, clientID: String, queues: [MessageQueue], address: String) async throws -> Set<MessageQueue> {
        let request = Self.lockRequest(group: group, clientID: clientID, queues: queues)
        let response = try await pool.request(address, request, timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response) }
        do {
            return Set(try LockBatchResponseBody(body: response.body).lockOKMQSet)
        } catch {
            throw RocketMQError.protocolViolation("lock response: \(error)")
        }
    }

    /// UNLOCK_BATCH_MQ.
    func unlock(group: String, clientID: String, queues: [MessageQueue], address: String) async throws {
        let request = Self.unlockRequest(group: group, clientID: clientID, queues: queues)
        let response = try await pool.request(address, request, timeout: requestTimeout)
        guard response.responseCode == .success else { throw ResponseErrors.error(for: response) }
    }
}

// MARK: - The requests

extension BrokerOperations {
    /// QUERY_CONSUMER_OFFSET (14).
    static func queryOffsetRequest(group: String, queue: MessageQueue) -> RemotingCommand {
        .request(
            code: .queryConsumerOffset,
            header: QueryConsumerOffsetRequestHeader(consumerGroup: group, topic: queue.topic, queueId: queue.queueId, bname: queue.brokerName))
    }

    /// UPDATE_CONSUMER_OFFSET (15).
    static func updateOffsetRequest(group: String, queue: MessageQueue, offset: Int64) -> RemotingCommand {
        .request(
            code: .updateConsumerOffset,
            header: UpdateConsumerOffsetRequestHeader(
                consumerGroup: group, topic: queue.topic, queueId: queue.queueId, commitOffset: offset, bname: queue.brokerName))
    }

    /// GET_MAX_OFFSET (30), or SEARCH_OFFSET_BY_TIMESTAMP (29) when `timestamp` is given.
    static func offsetRequest(queue: MessageQueue, atTimestamp timestamp: Int64? = nil) -> RemotingCommand {
        guard let timestamp else {
            return .request(
                code: .getMaxOffset, header: GetMaxOffsetRequestHeader(topic: queue.topic, queueId: queue.queueId, bname: queue.brokerName))
        }
        return .request(
            code: .searchOffsetByTimestamp,
            header: SearchOffsetRequestHeader(topic: queue.topic, queueId: queue.queueId, timestamp: timestamp, bname: queue.brokerName))
    }

    /// PULL_MESSAGE (11): the subscription travels with every pull (`PullSysFlag.subscription`),
    /// long-polling (`PullSysFlag.suspend`) when `suspend` is given; no offset is committed with it.
    static func pullRequest(
        group: String, queue: MessageQueue, offset: Int64, maxMessages: Int, subscription: Subscription, suspend: TimeAmount?
    ) -> RemotingCommand {
        var sysFlag = PullSysFlag.subscription
        if suspend != nil { sysFlag |= PullSysFlag.suspend }
        let header = PullMessageRequestHeader(
            consumerGroup: group, topic: queue.topic, queueId: queue.queueId, queueOffset: offset,
            maxMsgNums: Int32(clamping: maxMessages), sysFlag: sysFlag, commitOffset: 0,
            suspendTimeoutMillis: (suspend ?? .zero).nanoseconds / 1_000_000, subscription: subscription.expression,
            subVersion: 0, expressionType: subscription.expressionType, bname: queue.brokerName)
        return .request(code: .pullMessage, header: header)
    }

    /// GET_CONSUMER_LIST_BY_GROUP (38).
    static func consumerListRequest(group: String) -> RemotingCommand {
        .request(code: .getConsumerListByGroup, header: GetConsumerListByGroupRequestHeader(consumerGroup: group))
    }

    /// CHECK_CLIENT_CONFIG (46): no header, a `CheckClientRequestBody` in the body.
    static func checkClientConfigRequest(group: String, clientID: String, subscription: SubscriptionData) -> RemotingCommand {
        .request(code: .checkClientConfig,
                 body: CheckClientRequestBody(clientId: clientID, group: group, subscriptionData: subscription).encoded())
    }

    /// HEART_BEAT (34): no header, the data in the body.
    static func heartbeatRequest(_ data: HeartbeatData) -> RemotingCommand {
        .request(code: .heartBeat, body: data.encoded())
    }

    /// UNREGISTER_CLIENT (35).
    static func unregisterRequest(clientID: String, consumerGroup: String?, producerGroup: String?) -> RemotingCommand {
        .request(
            code: .unregisterClient,
            header: UnregisterClientRequestHeader(clientID: clientID, producerGroup: producerGroup, consumerGroup: consumerGroup))
    }

    /// CONSUMER_SEND_MSG_BACK (36).
    static func sendBackRequest(
        group: String, message: StoredMessage, queue: MessageQueue, delayLevel: Int, maxReconsumeTimes: Int
    ) -> RemotingCommand {
        let header = ConsumerSendMsgBackRequestHeader(
            offset: message.commitLogOffset, group: group, delayLevel: Int32(clamping: delayLevel), originMsgId: message.msgId,
            originTopic: message.properties[MessagePropertyKey.retryTopic] ?? message.topic, unitMode: false,
            maxReconsumeTimes: Int32(clamping: maxReconsumeTimes), bname: queue.brokerName)
        return .request(code: .consumerSendMsgBack, header: header)
    }

    /// LOCK_BATCH_MQ (41): no header, the queues in the body.
    static func lockRequest(group: String, clientID: String, queues: [MessageQueue]) -> RemotingCommand {
        .request(code: .lockBatchMq, body: LockBatchRequestBody(consumerGroup: group, clientId: clientID, mqSet: queues).encoded())
    }

    /// UNLOCK_BATCH_MQ (42): no header, the queues in the body.
    static func unlockRequest(group: String, clientID: String, queues: [MessageQueue]) -> RemotingCommand {
        .request(code: .unlockBatchMq, body: UnlockBatchRequestBody(consumerGroup: group, clientId: clientID, mqSet: queues).encoded())
    }
}
