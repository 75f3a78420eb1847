import NIOCore
import RocketMQWire

// Offsets, HEART_BEAT, UNREGISTER_CLIENT, consumer lists and queue locks.
extension BrokerCore {
    func offsetResponse(to command: RemotingCommand, _ offset: Int64) -> RemotingCommand {
        RemotingCommand.response(to: command, code: .success, extFields: OffsetResponseHeader(offset: offset).extFields)
    }

    func handleQueryConsumerOffset(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try QueryConsumerOffsetRequestHeader(command: command)
        let queue = MessageQueue(topic: header.topic, brokerName: configuration.brokerName, queueId: header.queueId)
        if let offset = store.consumerOffsets[header.consumerGroup]?[queue] {
            return reply(to: command, on: channel, offsetResponse(to: command, offset))
        }
        // docs/protocol-remoting.md §2.6: a "young" queue (min offset 0, first message still in memory)
        // answers 0; once the head of the queue is gone, QUERY_NOT_FOUND.
        if store.queue(header.topic, header.queueId).minOffset <= 0 {
            return reply(to: command, on: channel, offsetResponse(to: command, 0))
        }
        reply(to: command, on: channel, RemotingCommand.response(
            to: command, code: .queryNotFound, remark: "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first"))
    }

    func handleUpdateConsumerOffset(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try UpdateConsumerOffsetRequestHeader(command: command)
        let queue = MessageQueue(topic: header.topic, brokerName: configuration.brokerName, queueId: header.queueId)
        store.consumerOffsets[header.consumerGroup, default: [:]][queue] = header.commitOffset
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }

    func handleQueueOffset(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try QueueOffsetRequestHeader(command: command)
        let queue = store.queue(header.topic, header.queueId)
        let offset = command.requestCode == .getMaxOffset ? queue.maxOffset : queue.minOffset
        reply(to: command, on: channel, offsetResponse(to: command, offset))
    }

    func handleSearchOffset(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try SearchOffsetRequestHeader(command: command)
        let queue = store.queue(header.topic, header.queueId)
        var offset = queue.minOffset
        if let first = queue.messages.firstIndex(where: { $0.storeTimestamp >= header.timestamp }) {
            offset = queue.minOffset + Int64(first)
        } else if !queue.messages.isEmpty {
            // Observed on 4.9.8: a future timestamp gives the last message, not maxOffset
            // (docs/protocol-remoting.md §2.11).
            offset = queue.maxOffset - 1
        }
        reply(to: command, on: channel, offsetResponse(to: command, offset))
    }

    func handleHeartbeat(_ command: RemotingCommand, from channel: Channel) throws {
        let heartbeat = try HeartbeatData(body: command.body)
        let id = ObjectIdentifier(channel)
        for producer in heartbeat.producerDataSet {
            producerGroups[producer.groupName, default: [:]][id] = heartbeat.clientID
        }
        for consumer in heartbeat.consumerDataSet {
            var group = consumerGroups[consumer.groupName] ?? ConsumerGroupState()
            let isNewMember = group.members[id] == nil
            group.members[id] = ConsumerGroupState.Member(clientID: heartbeat.clientID, channel: channel)
            let oldTopics = Set(group.subscriptions.keys)
            for subscription in consumer.subscriptionDataSet {
                group.subscriptions[subscription.topic] = subscription
            }
            consumerGroups[consumer.groupName] = group
            // ClientManageProcessor.heartBeat creates the retry topic (1 queue, RW) for every group.
            store.createTopic(NamespaceUtil.retryTopic(group: consumer.groupName), queueNums: 1)
            if isNewMember || oldTopics != Set(group.subscriptions.keys) {
                notifyConsumerIdsChanged(group: consumer.groupName)
            }
        }
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }

    func handleUnregister(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try UnregisterClientRequestHeader(command: command)
        let id = ObjectIdentifier(channel)
        if let group = header.producerGroup {
            producerGroups[group]?[id] = nil
        }
        if let group = header.consumerGroup, consumerGroups[group]?.members[id] != nil {
            consumerGroups[group]?.members[id] = nil
            notifyConsumerIdsChanged(group: group)
        }
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }

    func handleConsumerList(_ command: RemotingCommand, from channel: Channel) throws {
        let header = try GetConsumerListByGroupRequestHeader(command: command)
        let ids = consumerGroups[header.consumerGroup]?.clientIDs ?? []
        guard !ids.isEmpty else {
            return reply(to: command, on: channel, RemotingCommand.response(
                to: command, code: .systemError, remark: "no consumer for this group, \(header.consumerGroup)"))
        }
        reply(to: command, on: channel, RemotingCommand.response(
            to: command, code: .success, body: ConsumerListBody(consumerIdList: ids).encoded()))
    }

    func handleLock(_ command: RemotingCommand, from channel: Channel) throws {
        let body = try LockBatchRequestBody(body: command.body)
        let now = NIODeadline.now()
        var granted: [MessageQueue] = []
        var table = locks[body.consumerGroup] ?? [:]
        for queue in body.mqSet {
            if let holder = table[queue], holder.clientId != body.clientId, holder.expiry > now {
                continue
            }
            table[queue] = (body.clientId, now + configuration.lockMaxLiveTime)
            granted.append(queue)
        }
        locks[body.consumerGroup] = table
        reply(to: command, on: channel, RemotingCommand.response(
            to: command, code: .success, body: LockBatchResponseBody(lockOKMQSet: granted).encoded()))
    }

    func handleUnlock(_ command: RemotingCommand, from channel: Channel) throws {
        let body = try UnlockBatchRequestBody(body: command.body)
        for queue in body.mqSet where locks[body.consumerGroup]?[queue]?.clientId == body.clientId {
            locks[body.consumerGroup]?[queue] = nil
        }
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success))
    }
}
