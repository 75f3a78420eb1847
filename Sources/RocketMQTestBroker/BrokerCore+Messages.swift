import NIOCore
import RocketMQWire

// SEND_MESSAGE*, PULL_MESSAGE, CONSUMER_SEND_MSG_BACK and delayed delivery.
extension BrokerCore {
    static let scheduleTopic = "SCHEDULE_TOPIC_XXXX"
    /// `MessageStoreConfig.maxMessageSize` (4 MiB).
    static let maxMessageSize = 4 * 1024 * 1024

    /// `TopicValidator` rules: `^[%|a-zA-Z0-9_-]+$`, at most 127 characters.
    static func topicProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "The specified topic is blank." }
        if topic.utf8.count > 127 { return "The specified topic is longer than topic max length." }
        let allowed = topic.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "%", "|", "_", "-": return true
            default: return false
            }
        }
        return allowed ? nil : "The specified topic[\(topic)] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
    }

    // MARK: Send

    func handleSend(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try SendMessageRequestHeader(command: command)
        let peer = peerHost(channel)
        var topic = header.topic
        if let problem = Self.topicProblem(topic) {
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: problem))
        }
        if store.topics[topic] == nil {
            guard configuration.autoCreateTopics, !topic.isEmpty else {
                return reply(to: command, on: channel, RemotingCommand.response(
                    to: command, code: .topicNotExist,
                    remark: "topic[\(topic)] not exist, apply first please! http://rocketmq.apache.org/docs/faq/"))
            }
            let queues = min(max(header.defaultTopicQueueNums, 1), configuration.defaultQueueNums)
            store.createTopic(topic, queueNums: queues)
            logger.debug("auto-created topic", metadata: ["topic": "\(topic)", "queues": "\(queues)"])
        }
        guard command.body.count <= Self.maxMessageSize else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .messageIllegal, remark: "the message body size over max value, MAX: \(Self.maxMessageSize)"))
        }
        guard (header.properties ?? "").utf8.count <= Int(Int16.max) else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .messageIllegal, remark: "the message properties length over max value, MAX: \(Int16.max)"))
        }
        guard let config = store.topics[topic] else { return }
        guard config.perm & Permission.write != 0 else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .noPermission, remark: "the topic[\(topic)] sending message is forbidden"))
        }
        var queueId = header.queueId
        if queueId < 0 {
            queueId = Int32.random(in: 0..<max(config.writeQueueNums, 1))
        }
        guard queueId < config.writeQueueNums else {
            let remark = "request queueId[\(queueId)] is illegal, TopicConfig [topicName=\(topic), readQueueNums=\(config.readQueueNums), "
                + "writeQueueNums=\(config.writeQueueNums), perm=\(config.perm)] Producer: \(peer)"
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: remark))
        }
        let reconsumeTimes = header.reconsumeTimes ?? 0
        // A client re-sending a failed message to %RETRY% itself: past the limit it goes to the DLQ.
        if topic.hasPrefix(NamespaceUtil.retryPrefix) {
            let maxTimes = (command.version >= 121 ? header.maxReconsumeTimes : nil) ?? configuration.maxReconsumeTimes
            if reconsumeTimes >= maxTimes {
                topic = NamespaceUtil.dlqTopic(group: String(topic.dropFirst(NamespaceUtil.retryPrefix.count)))
                store.createTopic(topic, queueNums: 1)
                queueId = 0
            }
        }
        let now = Self.nowMillis()
        func storable(body: [UInt8], flag: Int32, properties: String) -> StoredMessage {
            var props = PropertyList(properties)
            props[MessagePropertyKey.waitStoreMessageOK] = nil
            props[MessagePropertyKey.cluster] = configuration.clusterName
            return StoredMessage(queueId: queueId, flag: flag, queueOffset: 0, commitLogOffset: 0, sysFlag: header.sysFlag,
                                 bornTimestamp: header.bornTimestamp, bornHost: peer, storeTimestamp: now, storeHost: storeHost,
                                 reconsumeTimes: reconsumeTimes, storedBody: body, topic: topic,
                                 propertiesText: props.text)
        }

        var ids: [String] = []
        var firstOffset: Int64 = 0
        if command.requestCode == .sendBatchMessage || header.batch == true {
            let inner = try MessageBatch.decode(command.body)
            for (i, message) in inner.enumerated() {
                // The broker appends the header properties to every inner message
                // (docs/protocol-remoting.md §4.7).
                var properties = message.propertiesText
                if let extra = header.properties, !extra.isEmpty {
                    if !properties.isEmpty, !properties.hasSuffix("\u{2}") { properties += "\u{2}" }
                    properties += extra
                }
                let stored = store.append(storable(body: message.body, flag: message.flag, properties: properties))
                if i == 0 { firstOffset = stored.queueOffset }
                ids.append(stored.offsetMsgId)
            }
            messagesArrived(topic: topic, queueId: queueId)
        } else {
            let message = storable(body: command.body, flag: header.flag, properties: header.properties ?? "")
            let level = Int32(message.properties[MessagePropertyKey.delayTimeLevel] ?? "") ?? 0
            let deliverAt = configuration.version >= Self.firstTimerVersion
                ? Int64(message.properties[MessagePropertyKey.timerDeliverMillis] ?? "").flatMap { $0 > now ? $0 : nil } : nil
            if let deliverAt, header.sysFlag & MessageSysFlag.transactionTypeMask == 0 {
                let parked = parkForTimer(message, until: deliverAt)
                ids.append(parked.offsetMsgId)
                firstOffset = parked.queueOffset
            } else if level > 0, header.sysFlag & MessageSysFlag.transactionTypeMask == 0 {
                let (physical, scheduleOffset) = schedule(message, level: level)
                ids.append(MessageID.offsetMessageID(storeHost: storeHost, commitLogOffset: physical))
                firstOffset = scheduleOffset
            } else {
                let stored = store.append(message)
                ids.append(stored.offsetMsgId)
                firstOffset = stored.queueOffset
                messagesArrived(topic: topic, queueId: queueId)
            }
        }
        let responseHeader = SendMessageResponseHeader(msgId: ids.joined(separator: ","), queueId: queueId, queueOffset: firstOffset)
        var response = RemotingCommand.response(to: command, code: .success, extFields: responseHeader.extFields)
        response.extFieldsOrder = command.serializeType == .rocketmq
            ? SendMessageResponseHeader.fastEncodeOrder
            : Self.sendResponseJSONOrder
        reply(to: command, on: channel, response)
    }

    /// A JSON send response's keys in Java `HashMap` order, computed once rather than per send.
    private static let sendResponseJSONOrder = JavaHash.hashMapIterationOrder(
        ["msgId", "queueId", "queueOffset", "MSG_REGION", "TRACE_ON"])

    // MARK: Delay levels

    /// Parks `message` as `SCHEDULE_TOPIC_XXXX` would and delivers it to its real topic and queue
    /// (with `REAL_TOPIC`/`REAL_QID`, docs/protocol-remoting.md §10.7) when the scaled delay has passed.
    func schedule(_ message: StoredMessage, level: Int32) -> (physicalOffset: Int64, scheduleOffset: Int64) {
        let levels = configuration.delayLevels
        let clamped = min(max(level, 1), Int32(levels.count))
        var props = PropertyList(message.propertiesText)
        props[MessagePropertyKey.delayTimeLevel] = String(clamped)
        props[MessagePropertyKey.realTopic] = message.topic
        props[MessagePropertyKey.realQueueId] = String(message.queueId)
        var parked = message
        parked.propertiesText = props.text
        let slot = store.reserveScheduleSlot(level: clamped - 1, size: StoredMessageEncoder.recordLength(parked))
        let base = levels.isEmpty ? TimeAmount.zero : levels[Int(clamped) - 1]
        let scaled = Double(base.nanoseconds) * max(configuration.delayTimeScale, 0)
        let delay = TimeAmount.nanoseconds(scaled < 1e18 ? Int64(scaled) : 1_000_000_000_000_000_000)
        nextScheduledID += 1
        let id = nextScheduledID
        scheduledDeliveries[id] = eventLoop.scheduleTask(in: delay) { [self, parked] in
            scheduledDeliveries[id] = nil
            var delivered = parked
            delivered.storeTimestamp = Self.nowMillis()
            _ = store.append(delivered)
            messagesArrived(topic: delivered.topic, queueId: delivered.queueId)
        }
        return (slot.physicalOffset, slot.queueOffset)
    }

    // MARK: Timer messages (RocketMQ 5)

    static let firstTimerVersion: Int32 = 413
    static let timerTopic = "rmq_sys_wheel_timer"

    /// Parks `message` in `rmq_sys_wheel_timer` (with `REAL_TOPIC`/`REAL_QID`, as a 5.x broker's
    /// timer store does) and puts it in its topic and queue once `deliverAt` (epoch ms) has come.
    func parkForTimer(_ message: StoredMessage, until deliverAt: Int64) -> StoredMessage {
        var props = PropertyList(message.propertiesText)
        props[MessagePropertyKey.realTopic] = message.topic
        props[MessagePropertyKey.realQueueId] = String(message.queueId)
        var parked = message
        parked.topic = Self.timerTopic
        parked.queueId = 0
        parked.propertiesText = props.text
        if store.topics[Self.timerTopic] == nil { store.createTopic(Self.timerTopic, queueNums: 1) }
        let stored = store.append(parked)
        nextScheduledID += 1
        let id = nextScheduledID
        scheduledDeliveries[id] = eventLoop.scheduleTask(in: .milliseconds(max(deliverAt - Self.nowMillis(), 0))) { [self] in
            scheduledDeliveries[id] = nil
            var delivered = message
            delivered.storeTimestamp = Self.nowMillis()
            _ = store.append(delivered)
            messagesArrived(topic: delivered.topic, queueId: delivered.queueId)
        }
        return stored
    }

    // MARK: Pull

    enum PullOutcome {
        case found(next: Int64, messages: [StoredMessage])
        case status(code: ResponseCode, remark: String, next: Int64)
    }

    func handlePull(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try PullMessageRequestHeader(command: command)
        guard let config = store.topics[header.topic] else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .topicNotExist,
                remark: "topic[\(header.topic)] not exist, apply first please! http://rocketmq.apache.org/docs/faq/"))
        }
        guard config.perm & Permission.read != 0 else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .noPermission, remark: "the topic[\(header.topic)] pulling message is forbidden"))
        }
        guard header.queueId >= 0, header.queueId < config.readQueueNums else {
            let remark = "queueId[\(header.queueId)] is illegal, topic:[\(header.topic)] topicConfig.readQueueNums:[\(config.readQueueNums)] consumer:[\(peerHost(channel))]"
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: remark))
        }
        let subscription: SubscriptionData
        if header.sysFlag & PullSysFlag.subscription != 0 {
            if ExpressionType.isTag(header.expressionType) {
                subscription = SubscriptionData.tagExpression(topic: header.topic, expression: header.subscription ?? "*", subVersion: header.subVersion)
            } else if let expression = header.subscription, !expression.isEmpty {
                subscription = SubscriptionData(topic: header.topic, subString: expression, tagsSet: [], codeSet: [],
                                                subVersion: header.subVersion, expressionType: header.expressionType ?? "")
            } else {
                // FilterAPI.build refuses an empty expression of a non-tag type.
                return reply(to: command, on: channel, RemotingCommand.response(
                    to: command, code: .subscriptionParseFailed, remark: "parse the consumer's subscription failed"))
            }
        } else if let known = consumerGroups[header.consumerGroup]?.subscriptions[header.topic] {
            subscription = known
            // The broker keeps filter data only for heartbeat expressions that compiled.
            if known.expressionType == ExpressionType.sql92, (try? SQL92Filter(compiling: known.subString)) == nil {
                return reply(to: command, on: channel, RemotingCommand.response(
                    to: command, code: .filterDataNotExist, remark: "The broker's consumer filter data is not exist!Your expression may be wrong!"))
            }
        } else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .subscriptionNotExist, remark: "the consumer's subscription not exist"))
        }
        if let refusal = propertyFilterRefusal(subscription) {
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: refusal))
        }
        if header.sysFlag & PullSysFlag.commitOffset != 0, header.commitOffset >= 0 {
            let queue = MessageQueue(topic: header.topic, brokerName: configuration.brokerName, queueId: header.queueId)
            store.consumerOffsets[header.consumerGroup, default: [:]][queue] = header.commitOffset
        }
        let outcome = pull(header, subscription: subscription)
        if case .status(let code, _, _) = outcome, code == .pullNotFound,
           header.sysFlag & PullSysFlag.suspend != 0, header.suspendTimeoutMillis > 0 {
            hold(command, header: header, subscription: subscription, channel: channel)
            return
        }
        reply(to: command, on: channel, pullResponse(to: command, header: header, outcome: outcome))
    }

    func pull(_ header: PullMessageRequestHeader, subscription: SubscriptionData) -> PullOutcome {
        let queue = store.queue(header.topic, header.queueId)
        let offset = header.queueOffset
        if queue.maxOffset == 0 {
            return offset == 0
                ? .status(code: .pullNotFound, remark: "NO_MESSAGE_IN_QUEUE", next: 0)
                : .status(code: .pullOffsetMoved, remark: "NO_MESSAGE_IN_QUEUE", next: 0)
        }
        if offset < queue.minOffset { return .status(code: .pullOffsetMoved, remark: "OFFSET_TOO_SMALL", next: queue.minOffset) }
        if offset == queue.maxOffset { return .status(code: .pullNotFound, remark: "OFFSET_OVERFLOW_ONE", next: offset) }
        if offset > queue.maxOffset { return .status(code: .pullOffsetMoved, remark: "OFFSET_OVERFLOW_BADLY", next: queue.maxOffset) }
        var found: [StoredMessage] = []
        var next = offset
        let scanLimit = offset + 800
        let maxCount = max(Int(header.maxMsgNums), 1)
        let filter = PullFilter(subscription)
        while next < queue.maxOffset, next < scanLimit, found.count < maxCount {
            if let message = queue.message(at: next), filter.matches(message) {
                found.append(message)
            }
            next += 1
        }
        if found.isEmpty { return .status(code: .pullRetryImmediately, remark: "NO_MATCHED_MESSAGE", next: next) }
        return .found(next: next, messages: found)
    }

    func pullResponse(to command: RemotingCommand, header: PullMessageRequestHeader, outcome: PullOutcome) -> RemotingCommand {
        let queue = store.queue(header.topic, header.queueId)
        var response: RemotingCommand
        let next: Int64
        switch outcome {
        case .found(let n, let messages):
            next = n
            response = RemotingCommand.response(to: command, code: .success, remark: "FOUND",
                                                body: (try? StoredMessageEncoder.encodeAll(messages)) ?? [])
        case .status(let code, let remark, let n):
            next = n
            response = RemotingCommand.response(to: command, code: code, remark: remark)
        }
        let ext = PullMessageResponseHeader(nextBeginOffset: next, minOffset: queue.minOffset, maxOffset: queue.maxOffset)
        response.extFields = ext.extFields
        response.extFieldsOrder = command.serializeType == .rocketmq
            ? PullMessageResponseHeader.fieldOrder
            : ["suggestWhichBrokerId", "nextBeginOffset", "maxOffset", "minOffset"]
        return response
    }

    /// Long polling: keep the request until a message lands in its queue or the hold expires.
    func hold(_ command: RemotingCommand, header: PullMessageRequestHeader, subscription: SubscriptionData, channel: Channel) {
        nextPendingID += 1
        let id = nextPendingID
        let key = QueueKey(topic: header.topic, queueId: header.queueId)
        // Clamp before converting: a hostile suspendTimeoutMillis must not overflow TimeAmount.
        var hold = TimeAmount.milliseconds(min(header.suspendTimeoutMillis, 3_600_000))
        if let cap = configuration.maxSuspendTime, cap < hold { hold = cap }
        let timeout = eventLoop.scheduleTask(in: hold) { [self] in
            guard let index = pendingPulls[key]?.firstIndex(where: { $0.id == id }), let pending = pendingPulls[key]?.remove(at: index) else {
                return
            }
            reply(to: pending.request, on: pending.channel,
                  pullResponse(to: pending.request, header: pending.header, outcome: pull(pending.header, subscription: pending.subscription)))
        }
        pendingPulls[key, default: []].append(PendingPull(id: id, request: command, header: header, subscription: subscription,
                                                          channel: channel, timeout: timeout))
    }

    /// Wakes held pulls of a queue: each is re-run and answered unless it would still find nothing.
    func messagesArrived(topic: String, queueId: Int32) {
        let key = QueueKey(topic: topic, queueId: queueId)
        guard let pending = pendingPulls[key], !pending.isEmpty else { return }
        var still: [PendingPull] = []
        for pull in pending {
            let outcome = self.pull(pull.header, subscription: pull.subscription)
            if case .status(let code, _, _) = outcome, code == .pullNotFound {
                still.append(pull)
                continue
            }
            pull.timeout?.cancel()
            reply(to: pull.request, on: pull.channel, pullResponse(to: pull.request, header: pull.header, outcome: outcome))
        }
        pendingPulls[key] = still
    }

    // MARK: Send back (retry / DLQ)

    func handleSendBack(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try ConsumerSendMsgBackRequestHeader(command: command)
        guard let original = store.message(atPhysicalOffset: header.offset) else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .systemError, remark: "look message by offset failed, \(header.offset)"))
        }
        let maxTimes = (command.version >= 121 ? header.maxReconsumeTimes : nil) ?? configuration.maxReconsumeTimes
        var props = PropertyList(original.propertiesText)
        if props[MessagePropertyKey.retryTopic] == nil {
            props[MessagePropertyKey.retryTopic] = original.topic
        }
        if props[MessagePropertyKey.originMessageId] == nil {
            props[MessagePropertyKey.originMessageId] = original.offsetMsgId
        }
        props[MessagePropertyKey.waitStoreMessageOK] = "false"
        let toDLQ = original.reconsumeTimes >= maxTimes || header.delayLevel < 0
        let topic = toDLQ ? NamespaceUtil.dlqTopic(group: header.group) : NamespaceUtil.retryTopic(group: header.group)
        store.createTopic(topic, queueNums: 1)
        var level: Int32 = 0
        if toDLQ {
            props[MessagePropertyKey.delayTimeLevel] = nil
        } else {
            level = header.delayLevel == 0 ? 3 &+ min(original.reconsumeTimes, 100) : header.delayLevel
        }
        let message = StoredMessage(queueId: 0, flag: original.flag, queueOffset: 0, commitLogOffset: 0, sysFlag: original.sysFlag,
                                    bornTimestamp: original.bornTimestamp, bornHost: original.bornHost,
                                    storeTimestamp: Self.nowMillis(), storeHost: storeHost,
                                    reconsumeTimes: original.reconsumeTimes &+ 1, storedBody: original.storedBody, topic: topic,
                                    propertiesText: props.text)
        if level > 0 {
            _ = schedule(message, level: level)
        } else {
            _ = store.append(message)
            messagesArrived(topic: topic, queueId: 0)
        }
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }
}
