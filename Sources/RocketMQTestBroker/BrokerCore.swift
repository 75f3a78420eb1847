import Foundation
import Logging
import NIOCore
import RocketMQWire

/// Which server a connection was accepted by.
enum ServerRole: Sendable {
    case nameServer
    case broker
}

/// A consumer group's live members and subscriptions (`ConsumerGroupInfo`).
struct ConsumerGroupState {
    struct Member {
        var clientID: String
        var channel: Channel
    }

    /// channel → member; a channel carries one clientID.
    var members: [ObjectIdentifier: Member] = [:]
    var subscriptions: [String: SubscriptionData] = [:]

    var clientIDs: [String] { Array(Set(members.values.map(\.clientID))).sorted() }
}

/// A PULL_MESSAGE held for long polling.
struct PendingPull {
    var id: Int
    var request: RemotingCommand
    var header: PullMessageRequestHeader
    var subscription: SubscriptionData
    var channel: Channel
    var timeout: Scheduled<Void>?
}

struct QueueKey: Hashable {
    var topic: String
    var queueId: Int32
}

/// The broker and name server logic. Every method runs on ``eventLoop`` (all server and client
/// channels of one test broker share that single loop), so the state needs no lock; the public
/// facade hops onto the loop before touching it.
final class BrokerCore: @unchecked Sendable {  // state only touched on `eventLoop` (the facade hops onto it)
    let eventLoop: EventLoop
    let configuration: RocketMQTestBrokerConfiguration
    let logger: Logger
    let brokerAddress: String
    let storeHost: HostAddress

    var store = MessageStore()
    /// Open connections, with the peer's address read once (every stored message carries it).
    var connections: [ObjectIdentifier: (channel: Channel, role: ServerRole, peer: HostAddress)] = [:]
    var consumerGroups: [String: ConsumerGroupState] = [:]
    /// producer group → channel → clientID
    var producerGroups: [String: [ObjectIdentifier: String]] = [:]
    var pendingPulls: [QueueKey: [PendingPull]] = [:]
    var nextPendingID = 0
    /// group → queue → (clientId, expiry)
    var locks: [String: [MessageQueue: (clientId: String, expiry: NIODeadline)]] = [:]
    var scheduledDeliveries: [Int: Scheduled<Void>] = [:]
    var nextScheduledID = 0
    var nextOpaque: Int32 = 0

    // Fault switches.
    var refuseConnections = false
    var responseDelay: TimeAmount?
    var injectedErrors: [Int32: (code: ResponseCode, remark: String?)] = [:]
    var requestCounts: [Int32: Int] = [:]

    init(eventLoop: EventLoop, configuration: RocketMQTestBrokerConfiguration, brokerAddress: String) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = configuration.logger
        self.brokerAddress = brokerAddress
        self.storeHost = HostAddress(parsing: brokerAddress) ?? HostAddress(ip: [127, 0, 0, 1], port: 0)
        if configuration.autoCreateTopics {
            // The template topic a real name server serves when autoCreateTopicEnable=true.
            store.createTopic("TBW102", queueNums: 8, perm: Permission.read | Permission.write | Permission.inherit)
        }
        for (topic, queues) in configuration.topics {
            store.createTopic(topic, queueNums: queues)
        }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Connections

    func connectionOpened(_ channel: Channel, role: ServerRole) {
        if refuseConnections {
            logger.debug("refusing connection", metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
            return
        }
        connections[ObjectIdentifier(channel)] = (channel, role, Self.address(of: channel))
    }

    func connectionClosed(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        guard connections.removeValue(forKey: id) != nil else { return }
        for key in pendingPulls.keys {
            pendingPulls[key]?.removeAll { pending in
                guard ObjectIdentifier(pending.channel) == id else { return false }
                pending.timeout?.cancel()
                return true
            }
        }
        for group in producerGroups.keys {
            producerGroups[group]?[id] = nil
        }
        for group in consumerGroups.keys where consumerGroups[group]?.members[id] != nil {
            consumerGroups[group]?.members[id] = nil
            notifyConsumerIdsChanged(group: group)
        }
    }

    func dropAllConnections() {
        for connection in connections.values {
            connection.channel.close(promise: nil)
        }
    }

    // MARK: Dispatch

    /// Handles one inbound command. Responses are written on `channel`; oneway requests and the
    /// name server's unknown codes get none.
    func handle(_ command: RemotingCommand, from channel: Channel, role: ServerRole) {
        guard !command.isResponse else { return }  // answers to our oneway pushes never come; ignore strays
        requestCounts[command.code, default: 0] += 1
        if let injected = injectedErrors[command.code] {
            reply(to: command, on: channel, RemotingCommand.response(to: command, code: injected.code, remark: injected.remark))
            return
        }
        switch role {
        case .nameServer:
            handleNameServer(command, from: channel)
        case .broker:
            if let acl = configuration.acl, let failure = AclSigner.verify(command, accessKey: acl.accessKey, secretKey: acl.secretKey) {
                let remark: String
                switch failure {
                case .missingAccessKey: remark = "org.apache.rocketmq.acl.common.AclException: No accessKey is configured"
                case .unknownAccessKey(let key): remark = "org.apache.rocketmq.acl.common.AclException: No acl config for \(key)"
                case .signatureMismatch(let key): remark = "org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=\(key)"
                }
                logger.debug("ACL refused request", metadata: ["code": "\(command.code)", "reason": "\(failure)"])
                reply(to: command, on: channel, RemotingCommand.response(to: command, code: configuration.aclDenialCode, remark: remark))
                return
            }
            handleBroker(command, from: channel)
        }
    }

    func handleNameServer(_ command: RemotingCommand, from channel: Channel) {
        guard command.requestCode == .getRouteinfoByTopic else {
            // DefaultRequestProcessor returns null for unknown codes: no response at all
            // (docs/protocol-remoting.md §1.4).
            logger.debug("name server ignores request", metadata: ["code": "\(command.code)"])
            return
        }
        let header: GetRouteInfoRequestHeader
        do {
            header = try GetRouteInfoRequestHeader(command: command)
        } catch {
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: "\(error)"))
        }
        guard let config = store.topics[header.topic] else {
            let remark = "No topic route info in name server for the topic: \(header.topic)\nSee http://rocketmq.apache.org/docs/faq/ for further details."
            return reply(to: command, on: channel, RemotingCommand.response(to: command, code: .topicNotExist, remark: remark))
        }
        let route = TopicRouteData(
            queueDatas: [QueueData(brokerName: configuration.brokerName, readQueueNums: config.readQueueNums,
                                   writeQueueNums: config.writeQueueNums, perm: config.perm)],
            brokerDatas: [BrokerData(cluster: configuration.clusterName, brokerName: configuration.brokerName, brokerAddrs: [0: brokerAddress])]
        )
        let standard = command.version >= 401 || header.acceptStandardJsonOnly == true
        reply(to: command, on: channel, RemotingCommand.response(to: command, code: .success, body: route.encoded(standardJSON: standard)))
    }

    func handleBroker(_ command: RemotingCommand, from channel: Channel) {
        do {
            switch command.requestCode {
            case .sendMessage, .sendMessageV2, .sendBatchMessage: try handleSend(command, from: channel)
            case .pullMessage: try handlePull(command, from: channel)
            case .queryConsumerOffset: try handleQueryConsumerOffset(command, from: channel)
            case .updateConsumerOffset: try handleUpdateConsumerOffset(command, from: channel)
            case .getMaxOffset, .getMinOffset: try handleQueueOffset(command, from: channel)
            case .searchOffsetByTimestamp: try handleSearchOffset(command, from: channel)
            case .heartBeat: try handleHeartbeat(command, from: channel)
            case .unregisterClient: try handleUnregister(command, from: channel)
            case .getConsumerListByGroup: try handleConsumerList(command, from: channel)
            case .consumerSendMsgBack: try handleSendBack(command, from: channel)
            case .lockBatchMq: try handleLock(command, from: channel)
            case .unlockBatchMq: try handleUnlock(command, from: channel)
            case .checkClientConfig: try handleCheckClientConfig(command, from: channel)
            default:
                reply(to: command, on: channel, RemotingCommand.response(
                    to: command, code: .requestCodeNotSupported, remark: " request type \(command.code) not supported"))
            }
        } catch {
            // A malformed header: the Java broker answers SYSTEM_ERROR with the exception text.
            reply(to: command, on: channel, RemotingCommand.response(to: command, code: .systemError, remark: "\(error)"))
        }
    }

    /// Writes `response` unless `request` was oneway, after the configured delay if any.
    func reply(to request: RemotingCommand, on channel: Channel, _ response: RemotingCommand) {
        guard !request.isOneway else { return }
        var response = response
        response.language = RemotingCommand.defaultLanguage
        response.version = configuration.version
        if let delay = responseDelay {
            eventLoop.scheduleTask(in: delay) { [response] in
                channel.writeAndFlush(response, promise: nil)
            }
        } else {
            channel.writeAndFlush(response, promise: nil)
        }
    }

    func peerHost(_ channel: Channel) -> HostAddress {
        connections[ObjectIdentifier(channel)]?.peer ?? Self.address(of: channel)
    }

    private static func address(of channel: Channel) -> HostAddress {
        guard let address = channel.remoteAddress, let ip = address.ipAddress, let port = address.port,
              let host = HostAddress(parsing: "\(ip):\(port)")
        else { return HostAddress(ip: [127, 0, 0, 1], port: 0) }
        return host
    }

    // MARK: Broker → client pushes

    func notifyConsumerIdsChanged(group: String) {
        guard let members = consumerGroups[group]?.members.values else { return }
        for member in members {
            nextOpaque &+= 1
            var notify = RemotingCommand.request(
                code: .notifyConsumerIdsChanged,
                header: NotifyConsumerIdsChangedRequestHeader(consumerGroup: group),
                opaque: nextOpaque,
                oneway: true
            )
            notify.language = RemotingCommand.defaultLanguage
            member.channel.writeAndFlush(notify, promise: nil)
        }
    }
}
