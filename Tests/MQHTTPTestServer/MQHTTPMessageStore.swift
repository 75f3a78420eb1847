import Foundation
import RocketMQHTTP

/// Where a topic lives: `instance` is the request's `ns`, `""` when none.
struct MQHTTPTopicKey: Hashable, Sendable {
    var instance: String
    var topic: String
}

/// A consumer group of one topic: each such group sees every message of the topic once.
struct MQHTTPGroupKey: Hashable, Sendable {
    var topic: MQHTTPTopicKey
    var group: String
}

/// The consume `tag` parameter: absent, empty or `*` = every message; `A||B` = either tag.
enum MQHTTPTagFilter: Equatable, Sendable {
    case all
    case anyOf(Set<String>)

    init(_ parameter: String?) {
        guard let parameter, !parameter.isEmpty, parameter != "*" else {
            self = .all
            return
        }
        let tags = parameter.components(separatedBy: "||").filter { !$0.isEmpty }
        self = tags.isEmpty || tags.contains("*") ? .all : .anyOf(Set(tags))
    }

    func matches(_ tag: String?) -> Bool {
        switch self {
        case .all: return true
        case .anyOf(let tags): return tag.map(tags.contains) ?? false
        }
    }
}

/// What one consumer group knows about one message.
struct MQHTTPDelivery: Equatable, Sendable {
    var consumedTimes = 0
    var firstConsumeTime: Int64?
    /// Invisible to the group before this (epoch ms); 0 until first handed out.
    var nextConsumeTime: Int64 = 0
    /// The only handle that can ack the message now; `nil` before the first delivery and after the ack.
    var receiptHandle: String?
    var acked = false
}

/// What became of one receipt handle of an ack.
enum MQHTTPAckOutcome: Equatable, Sendable {
    case acked
    /// Unknown, superseded by a redelivery, already used, or of another topic or group.
    case invalidHandle
    /// The current handle, but its `NextConsumeTime` has passed.
    case expired
}

/// Topics, messages and per-group delivery state of the HTTP test server: a value with no clock
/// and no I/O (every time is passed in), so its rules are the same on and off the server.
struct MQHTTPMessageStore: Sendable {
    private(set) var topics: Set<MQHTTPTopicKey> = []
    private(set) var messages: [MQHTTPTopicKey: [MQHTTPStoredMessage]] = [:]
    private var deliveries: [MQHTTPGroupKey: [String: MQHTTPDelivery]] = [:]
    /// current receipt handle → owner; a handle leaves when superseded or used.
    private var handles: [String: (group: MQHTTPGroupKey, messageID: String)] = [:]
    /// message id → its topic
    private var locations: [String: MQHTTPTopicKey] = [:]
    private var handleSequence: UInt64 = 0

    mutating func createTopic(_ key: MQHTTPTopicKey) {
        topics.insert(key)
    }

    func topicExists(_ key: MQHTTPTopicKey) -> Bool {
        topics.contains(key)
    }

    /// Stores a message of an existing topic; `__STARTDELIVERTIME` in `properties` is its start.
    mutating func publish(_ key: MQHTTPTopicKey, body: String, tag: String?, properties: [String: String],
                          startDeliverTime: Int64?, now: Int64) -> MQHTTPStoredMessage {
        var id: String
        repeat {
            id = UUID().uuidString.replacingOccurrences(of: "-", with: "").uppercased()
        } while locations[id] != nil
        let message = MQHTTPStoredMessage(
            id: id, topic: key.topic, instance: key.instance.isEmpty ? nil : key.instance, body: body,
            bodyMD5: MQHTTPSigner.bodyMD5(of: Array(body.utf8)).uppercased(), tag: tag, properties: properties,
            publishTime: now, startDeliverTime: startDeliverTime)
        messages[key, default: []].append(message)
        locations[id] = key
        return message
    }

    /// Hands out up to `count` visible, unacked messages matching `filter`, in publish order: each
    /// becomes invisible until `now + invisibleFor` and gets a new receipt handle (the old one dies).
    mutating func take(_ group: MQHTTPGroupKey, filter: MQHTTPTagFilter, count: Int, now: Int64,
                       invisibleFor: Int64) -> [MQHTTPReceivedMessage] {
        guard count > 0, let candidates = messages[group.topic] else { return [] }
        var states = deliveries[group] ?? [:]
        var taken: [MQHTTPReceivedMessage] = []
        for message in candidates where taken.count < count && filter.matches(message.tag) {
            var state = states[message.id] ?? MQHTTPDelivery()
            guard !state.acked, now >= Self.visibleAt(message, state) else { continue }
            if let old = state.receiptHandle { handles[old] = nil }
            let handle = makeHandle(for: message.id)
            handles[handle] = (group, message.id)
            state.receiptHandle = handle
            state.consumedTimes += 1
            state.firstConsumeTime = state.firstConsumeTime ?? now
            state.nextConsumeTime = now + invisibleFor
            states[message.id] = state
            taken.append(MQHTTPReceivedMessage(
                messageID: message.id, receiptHandle: handle, bodyMD5: message.bodyMD5, body: message.body,
                publishTime: message.publishTime, nextConsumeTime: state.nextConsumeTime,
                firstConsumeTime: state.firstConsumeTime ?? now, consumedTimes: state.consumedTimes, tag: message.tag,
                properties: message.properties.isEmpty ? nil : MQHTTPProperties.encode(message.properties)))
        }
        deliveries[group] = states
        return taken
    }

    /// The earliest time after `now` at which a message matching `filter` becomes visible to the
    /// group (an unacked one in flight, or one scheduled with `__STARTDELIVERTIME`), if any.
    func nextVisibleTime(_ group: MQHTTPGroupKey, filter: MQHTTPTagFilter, now: Int64) -> Int64? {
        let states = deliveries[group] ?? [:]
        return (messages[group.topic] ?? [])
            .lazy
            .filter { filter.matches($0.tag) }
            .compactMap { message -> Int64? in
                let state = states[message.id] ?? MQHTTPDelivery()
                let visibleAt = Self.visibleAt(message, state)
                return !state.acked && visibleAt > now ? visibleAt : nil
            }
            .min()
    }

    /// Acks one handle for `group`; see ``MQHTTPAckOutcome``.
    mutating func ack(_ handle: String, group: MQHTTPGroupKey, now: Int64) -> MQHTTPAckOutcome {
        guard let owner = handles[handle], owner.group == group,
              var state = deliveries[group]?[owner.messageID], state.receiptHandle == handle, !state.acked else {
            return .invalidHandle
        }
        guard now < state.nextConsumeTime else { return .expired }
        state.acked = true
        state.receiptHandle = nil
        handles[handle] = nil
        deliveries[group]?[owner.messageID] = state
        return .acked
    }

    /// The topic a message was published to.
    func location(of messageID: String) -> MQHTTPTopicKey? {
        locations[messageID]
    }

    /// The delivery state of a message for a group name, whatever the instance (ids are unique).
    func delivery(messageID: String, group: String) -> MQHTTPDelivery? {
        guard let topic = locations[messageID] else { return nil }
        return deliveries[MQHTTPGroupKey(topic: topic, group: group)]?[messageID]
    }

    private static func visibleAt(_ message: MQHTTPStoredMessage, _ state: MQHTTPDelivery) -> Int64 {
        max(message.startDeliverTime ?? 0, state.nextConsumeTime)
    }

    private mutating func makeHandle(for messageID: String) -> String {
        handleSequence += 1
        let nonce = UInt32.random(in: .min ... .max)
        return "\(messageID)-\(String(handleSequence, radix: 16, uppercase: true))-\(String(nonce, radix: 16, uppercase: true))"
    }
}
