// Every request and response code of RocketMQ 4.9.8 in one place (RequestCode.java,
// RemotingSysResponseCode.java, ResponseCode.java; docs/protocol-remoting.md §2.1, §2.2).
//
// Codes are open structs rather than closed enums: a peer may send a code this table does not
// know, and such a command must still decode (the broker answers it with 3 REQUEST_CODE_NOT_SUPPORTED).
// The frame and header layout is drawn next to the codec in RemotingCommand+Coding.swift.

/// A request code (`RemotingCommand.code` of a request). Open set: unknown values are valid.
///
/// A value type; safe to use from any thread.
public struct RequestCode: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    public init(integerLiteral value: Int32) { self.rawValue = value }

    /// `SEND_MESSAGE` (10).
    public static let sendMessage = RequestCode(10)
    /// `PULL_MESSAGE` (11).
    public static let pullMessage = RequestCode(11)
    /// `QUERY_MESSAGE` (12).
    public static let queryMessage = RequestCode(12)
    /// `QUERY_BROKER_OFFSET` (13).
    public static let queryBrokerOffset = RequestCode(13)
    /// `QUERY_CONSUMER_OFFSET` (14).
    public static let queryConsumerOffset = RequestCode(14)
    /// `UPDATE_CONSUMER_OFFSET` (15).
    public static let updateConsumerOffset = RequestCode(15)
    /// `UPDATE_AND_CREATE_TOPIC` (17).
    public static let updateAndCreateTopic = RequestCode(17)
    /// `GET_ALL_TOPIC_CONFIG` (21).
    public static let getAllTopicConfig = RequestCode(21)
    /// `GET_TOPIC_CONFIG_LIST` (22).
    public static let getTopicConfigList = RequestCode(22)
    /// `GET_TOPIC_NAME_LIST` (23).
    public static let getTopicNameList = RequestCode(23)
    /// `UPDATE_BROKER_CONFIG` (25).
    public static let updateBrokerConfig = RequestCode(25)
    /// `GET_BROKER_CONFIG` (26).
    public static let getBrokerConfig = RequestCode(26)
    /// `TRIGGER_DELETE_FILES` (27).
    public static let triggerDeleteFiles = RequestCode(27)
    /// `GET_BROKER_RUNTIME_INFO` (28).
    public static let getBrokerRuntimeInfo = RequestCode(28)
    /// `SEARCH_OFFSET_BY_TIMESTAMP` (29).
    public static let searchOffsetByTimestamp = RequestCode(29)
    /// `GET_MAX_OFFSET` (30).
    public static let getMaxOffset = RequestCode(30)
    /// `GET_MIN_OFFSET` (31).
    public static let getMinOffset = RequestCode(31)
    /// `GET_EARLIEST_MSG_STORETIME` (32).
    public static let getEarliestMsgStoretime = RequestCode(32)
    /// `VIEW_MESSAGE_BY_ID` (33).
    public static let viewMessageById = RequestCode(33)
    /// `HEART_BEAT` (34).
    public static let heartBeat = RequestCode(34)
    /// `UNREGISTER_CLIENT` (35).
    public static let unregisterClient = RequestCode(35)
    /// `CONSUMER_SEND_MSG_BACK` (36).
    public static let consumerSendMsgBack = RequestCode(36)
    /// `END_TRANSACTION` (37).
    public static let endTransaction = RequestCode(37)
    /// `GET_CONSUMER_LIST_BY_GROUP` (38).
    public static let getConsumerListByGroup = RequestCode(38)
    /// `CHECK_TRANSACTION_STATE` (39).
    public static let checkTransactionState = RequestCode(39)
    /// `NOTIFY_CONSUMER_IDS_CHANGED` (40).
    public static let notifyConsumerIdsChanged = RequestCode(40)
    /// `LOCK_BATCH_MQ` (41).
    public static let lockBatchMq = RequestCode(41)
    /// `UNLOCK_BATCH_MQ` (42).
    public static let unlockBatchMq = RequestCode(42)
    /// `GET_ALL_CONSUMER_OFFSET` (43).
    public static let getAllConsumerOffset = RequestCode(43)
    /// `GET_ALL_DELAY_OFFSET` (45).
    public static let getAllDelayOffset = RequestCode(45)
    /// `CHECK_CLIENT_CONFIG` (46).
    public static let checkClientConfig = RequestCode(46)
    /// `UPDATE_AND_CREATE_ACL_CONFIG` (50).
    public static let updateAndCreateAclConfig = RequestCode(50)
    /// `DELETE_ACL_CONFIG` (51).
    public static let deleteAclConfig = RequestCode(51)
    /// `GET_BROKER_CLUSTER_ACL_INFO` (52).
    public static let getBrokerClusterAclInfo = RequestCode(52)
    /// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG` (53).
    public static let updateGlobalWhiteAddrsConfig = RequestCode(53)
    /// `GET_BROKER_CLUSTER_ACL_CONFIG` (54).
    public static let getBrokerClusterAclConfig = RequestCode(54)
    /// `PUT_KV_CONFIG` (100).
    public static let putKvConfig = RequestCode(100)
    /// `GET_KV_CONFIG` (101).
    public static let getKvConfig = RequestCode(101)
    /// `DELETE_KV_CONFIG` (102).
    public static let deleteKvConfig = RequestCode(102)
    /// `REGISTER_BROKER` (103).
    public static let registerBroker = RequestCode(103)
    /// `UNREGISTER_BROKER` (104).
    public static let unregisterBroker = RequestCode(104)
    /// `GET_ROUTEINFO_BY_TOPIC` (105).
    public static let getRouteinfoByTopic = RequestCode(105)
    /// `GET_BROKER_CLUSTER_INFO` (106).
    public static let getBrokerClusterInfo = RequestCode(106)
    /// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP` (200).
    public static let updateAndCreateSubscriptiongroup = RequestCode(200)
    /// `GET_ALL_SUBSCRIPTIONGROUP_CONFIG` (201).
    public static let getAllSubscriptiongroupConfig = RequestCode(201)
    /// `GET_TOPIC_STATS_INFO` (202).
    public static let getTopicStatsInfo = RequestCode(202)
    /// `GET_CONSUMER_CONNECTION_LIST` (203).
    public static let getConsumerConnectionList = RequestCode(203)
    /// `GET_PRODUCER_CONNECTION_LIST` (204).
    public static let getProducerConnectionList = RequestCode(204)
    /// `WIPE_WRITE_PERM_OF_BROKER` (205).
    public static let wipeWritePermOfBroker = RequestCode(205)
    /// `GET_ALL_TOPIC_LIST_FROM_NAMESERVER` (206).
    public static let getAllTopicListFromNameserver = RequestCode(206)
    /// `DELETE_SUBSCRIPTIONGROUP` (207).
    public static let deleteSubscriptiongroup = RequestCode(207)
    /// `GET_CONSUME_STATS` (208).
    public static let getConsumeStats = RequestCode(208)
    /// `SUSPEND_CONSUMER` (209).
    public static let suspendConsumer = RequestCode(209)
    /// `RESUME_CONSUMER` (210).
    public static let resumeConsumer = RequestCode(210)
    /// `RESET_CONSUMER_OFFSET_IN_CONSUMER` (211).
    public static let resetConsumerOffsetInConsumer = RequestCode(211)
    /// `RESET_CONSUMER_OFFSET_IN_BROKER` (212).
    public static let resetConsumerOffsetInBroker = RequestCode(212)
    /// `ADJUST_CONSUMER_THREAD_POOL` (213).
    public static let adjustConsumerThreadPool = RequestCode(213)
    /// `WHO_CONSUME_THE_MESSAGE` (214).
    public static let whoConsumeTheMessage = RequestCode(214)
    /// `DELETE_TOPIC_IN_BROKER` (215).
    public static let deleteTopicInBroker = RequestCode(215)
    /// `DELETE_TOPIC_IN_NAMESRV` (216).
    public static let deleteTopicInNamesrv = RequestCode(216)
    /// `GET_KVLIST_BY_NAMESPACE` (219).
    public static let getKvlistByNamespace = RequestCode(219)
    /// `RESET_CONSUMER_CLIENT_OFFSET` (220).
    public static let resetConsumerClientOffset = RequestCode(220)
    /// `GET_CONSUMER_STATUS_FROM_CLIENT` (221).
    public static let getConsumerStatusFromClient = RequestCode(221)
    /// `INVOKE_BROKER_TO_RESET_OFFSET` (222).
    public static let invokeBrokerToResetOffset = RequestCode(222)
    /// `INVOKE_BROKER_TO_GET_CONSUMER_STATUS` (223).
    public static let invokeBrokerToGetConsumerStatus = RequestCode(223)
    /// `GET_TOPICS_BY_CLUSTER` (224).
    public static let getTopicsByCluster = RequestCode(224)
    /// `QUERY_TOPIC_CONSUME_BY_WHO` (300).
    public static let queryTopicConsumeByWho = RequestCode(300)
    /// `REGISTER_FILTER_SERVER` (301).
    public static let registerFilterServer = RequestCode(301)
    /// `REGISTER_MESSAGE_FILTER_CLASS` (302).
    public static let registerMessageFilterClass = RequestCode(302)
    /// `QUERY_CONSUME_TIME_SPAN` (303).
    public static let queryConsumeTimeSpan = RequestCode(303)
    /// `GET_SYSTEM_TOPIC_LIST_FROM_NS` (304).
    public static let getSystemTopicListFromNs = RequestCode(304)
    /// `GET_SYSTEM_TOPIC_LIST_FROM_BROKER` (305).
    public static let getSystemTopicListFromBroker = RequestCode(305)
    /// `CLEAN_EXPIRED_CONSUMEQUEUE` (306).
    public static let cleanExpiredConsumequeue = RequestCode(306)
    /// `GET_CONSUMER_RUNNING_INFO` (307).
    public static let getConsumerRunningInfo = RequestCode(307)
    /// `QUERY_CORRECTION_OFFSET` (308).
    public static let queryCorrectionOffset = RequestCode(308)
    /// `CONSUME_MESSAGE_DIRECTLY` (309).
    public static let consumeMessageDirectly = RequestCode(309)
    /// `SEND_MESSAGE_V2` (310).
    public static let sendMessageV2 = RequestCode(310)
    /// `GET_UNIT_TOPIC_LIST` (311).
    public static let getUnitTopicList = RequestCode(311)
    /// `GET_HAS_UNIT_SUB_TOPIC_LIST` (312).
    public static let getHasUnitSubTopicList = RequestCode(312)
    /// `GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST` (313).
    public static let getHasUnitSubUnunitTopicList = RequestCode(313)
    /// `CLONE_GROUP_OFFSET` (314).
    public static let cloneGroupOffset = RequestCode(314)
    /// `VIEW_BROKER_STATS_DATA` (315).
    public static let viewBrokerStatsData = RequestCode(315)
    /// `CLEAN_UNUSED_TOPIC` (316).
    public static let cleanUnusedTopic = RequestCode(316)
    /// `GET_BROKER_CONSUME_STATS` (317).
    public static let getBrokerConsumeStats = RequestCode(317)
    /// `UPDATE_NAMESRV_CONFIG` (318).
    public static let updateNamesrvConfig = RequestCode(318)
    /// `GET_NAMESRV_CONFIG` (319).
    public static let getNamesrvConfig = RequestCode(319)
    /// `SEND_BATCH_MESSAGE` (320).
    public static let sendBatchMessage = RequestCode(320)
    /// `QUERY_CONSUME_QUEUE` (321).
    public static let queryConsumeQueue = RequestCode(321)
    /// `QUERY_DATA_VERSION` (322).
    public static let queryDataVersion = RequestCode(322)
    /// `RESUME_CHECK_HALF_MESSAGE` (323).
    public static let resumeCheckHalfMessage = RequestCode(323)
    /// `SEND_REPLY_MESSAGE` (324).
    public static let sendReplyMessage = RequestCode(324)
    /// `SEND_REPLY_MESSAGE_V2` (325).
    public static let sendReplyMessageV2 = RequestCode(325)
    /// `PUSH_REPLY_MESSAGE_TO_CLIENT` (326).
    public static let pushReplyMessageToClient = RequestCode(326)
    /// `ADD_WRITE_PERM_OF_BROKER` (327).
    public static let addWritePermOfBroker = RequestCode(327)
    /// `GET_ALL_PRODUCER_INFO` (328).
    public static let getAllProducerInfo = RequestCode(328)
    /// `DELETE_EXPIRED_COMMITLOG` (329).
    public static let deleteExpiredCommitlog = RequestCode(329)

    /// The Java constant name, e.g. `"SEND_MESSAGE_V2"`; `nil` for a code not in 4.9.8.
    public var name: String? { Self.names[rawValue] }

    public var description: String { name.map { "\($0)(\(rawValue))" } ?? "RequestCode(\(rawValue))" }

    static let names: [Int32: String] = [
        10: "SEND_MESSAGE",
        11: "PULL_MESSAGE",
        12: "QUERY_MESSAGE",
        13: "QUERY_BROKER_OFFSET",
        14: "QUERY_CONSUMER_OFFSET",
        15: "UPDATE_CONSUMER_OFFSET",
        17: "UPDATE_AND_CREATE_TOPIC",
        21: "GET_ALL_TOPIC_CONFIG",
        22: "GET_TOPIC_CONFIG_LIST",
        23: "GET_TOPIC_NAME_LIST",
        25: "UPDATE_BROKER_CONFIG",
        26: "GET_BROKER_CONFIG",
        27: "TRIGGER_DELETE_FILES",
        28: "GET_BROKER_RUNTIME_INFO",
        29: "SEARCH_OFFSET_BY_TIMESTAMP",
        30: "GET_MAX_OFFSET",
        31: "GET_MIN_OFFSET",
        32: "GET_EARLIEST_MSG_STORETIME",
        33: "VIEW_MESSAGE_BY_ID",
        34: "HEART_BEAT",
        35: "UNREGISTER_CLIENT",
        36: "CONSUMER_SEND_MSG_BACK",
        37: "END_TRANSACTION",
        38: "GET_CONSUMER_LIST_BY_GROUP",
        39: "CHECK_TRANSACTION_STATE",
        40: "NOTIFY_CONSUMER_IDS_CHANGED",
        41: "LOCK_BATCH_MQ",
        42: "UNLOCK_BATCH_MQ",
        43: "GET_ALL_CONSUMER_OFFSET",
        45: "GET_ALL_DELAY_OFFSET",
        46: "CHECK_CLIENT_CONFIG",
        50: "UPDATE_AND_CREATE_ACL_CONFIG",
        51: "DELETE_ACL_CONFIG",
        52: "GET_BROKER_CLUSTER_ACL_INFO",
        53: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
        54: "GET_BROKER_CLUSTER_ACL_CONFIG",
        100: "PUT_KV_CONFIG",
        101: "GET_KV_CONFIG",
        102: "DELETE_KV_CONFIG",
        103: "REGISTER_BROKER",
        104: "UNREGISTER_BROKER",
        105: "GET_ROUTEINFO_BY_TOPIC",
        106: "GET_BROKER_CLUSTER_INFO",
        200: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
        201: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
        202: "GET_TOPIC_STATS_INFO",
        203: "GET_CONSUMER_CONNECTION_LIST",
        204: "GET_PRODUCER_CONNECTION_LIST",
        205: "WIPE_WRITE_PERM_OF_BROKER",
        206: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
        207: "DELETE_SUBSCRIPTIONGROUP",
        208: "GET_CONSUME_STATS",
        209: "SUSPEND_CONSUMER",
        210: "RESUME_CONSUMER",
        211: "RESET_CONSUMER_OFFSET_IN_CONSUMER",
        212: "RESET_CONSUMER_OFFSET_IN_BROKER",
        213: "ADJUST_CONSUMER_THREAD_POOL",
        214: "WHO_CONSUME_THE_MESSAGE",
        215: "DELETE_TOPIC_IN_BROKER",
        216: "DELETE_TOPIC_IN_NAMESRV",
        219: "GET_KVLIST_BY_NAMESPACE",
        220: "RESET_CONSUMER_CLIENT_OFFSET",
        221: "GET_CONSUMER_STATUS_FROM_CLIENT",
        222: "INVOKE_BROKER_TO_RESET_OFFSET",
        223: "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
        224: "GET_TOPICS_BY_CLUSTER",
        300: "QUERY_TOPIC_CONSUME_BY_WHO",
        301: "REGISTER_FILTER_SERVER",
        302: "REGISTER_MESSAGE_FILTER_CLASS",
        303: "QUERY_CONSUME_TIME_SPAN",
        304: "GET_SYSTEM_TOPIC_LIST_FROM_NS",
        305: "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
        306: "CLEAN_EXPIRED_CONSUMEQUEUE",
        307: "GET_CONSUMER_RUNNING_INFO",
        308: "QUERY_CORRECTION_OFFSET",
        309: "CONSUME_MESSAGE_DIRECTLY",
        310: "SEND_MESSAGE_V2",
        311: "GET_UNIT_TOPIC_LIST",
        312: "GET_HAS_UNIT_SUB_TOPIC_LIST",
        313: "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
        314: "CLONE_GROUP_OFFSET",
        315: "VIEW_BROKER_STATS_DATA",
        316: "CLEAN_UNUSED_TOPIC",
        317: "GET_BROKER_CONSUME_STATS",
        318: "UPDATE_NAMESRV_CONFIG",
        319: "GET_NAMESRV_CONFIG",
        320: "SEND_BATCH_MESSAGE",
        321: "QUERY_CONSUME_QUEUE",
        322: "QUERY_DATA_VERSION",
        323: "RESUME_CHECK_HALF_MESSAGE",
        324: "SEND_REPLY_MESSAGE",
        325: "SEND_REPLY_MESSAGE_V2",
        326: "PUSH_REPLY_MESSAGE_TO_CLIENT",
        327: "ADD_WRITE_PERM_OF_BROKER",
        328: "GET_ALL_PRODUCER_INFO",
        329: "DELETE_EXPIRED_COMMITLOG",
    ]
}

/// A response code (`RemotingCommand.code` of a response). Open set: unknown values are valid.
///
/// A value type; safe to use from any thread.
public struct ResponseCode: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    public init(integerLiteral value: Int32) { self.rawValue = value }

    /// `SUCCESS` (0).
    public static let success = ResponseCode(0)
    /// `SYSTEM_ERROR` (1).
    public static let systemError = ResponseCode(1)
    /// `SYSTEM_BUSY` (2).
    public static let systemBusy = ResponseCode(2)
    /// `REQUEST_CODE_NOT_SUPPORTED` (3).
    public static let requestCodeNotSupported = ResponseCode(3)
    /// `TRANSACTION_FAILED` (4).
    public static let transactionFailed = ResponseCode(4)
    /// `FLUSH_DISK_TIMEOUT` (10).
    public static let flushDiskTimeout = ResponseCode(10)
    /// `SLAVE_NOT_AVAILABLE` (11).
    public static let slaveNotAvailable = ResponseCode(11)
    /// `FLUSH_SLAVE_TIMEOUT` (12).
    public static let flushSlaveTimeout = ResponseCode(12)
    /// `MESSAGE_ILLEGAL` (13).
    public static let messageIllegal = ResponseCode(13)
    /// `SERVICE_NOT_AVAILABLE` (14).
    public static let serviceNotAvailable = ResponseCode(14)
    /// `VERSION_NOT_SUPPORTED` (15).
    public static let versionNotSupported = ResponseCode(15)
    /// `NO_PERMISSION` (16).
    public static let noPermission = ResponseCode(16)
    /// `TOPIC_NOT_EXIST` (17).
    public static let topicNotExist = ResponseCode(17)
    /// `TOPIC_EXIST_ALREADY` (18).
    public static let topicExistAlready = ResponseCode(18)
    /// `PULL_NOT_FOUND` (19).
    public static let pullNotFound = ResponseCode(19)
    /// `PULL_RETRY_IMMEDIATELY` (20).
    public static let pullRetryImmediately = ResponseCode(20)
    /// `PULL_OFFSET_MOVED` (21).
    public static let pullOffsetMoved = ResponseCode(21)
    /// `QUERY_NOT_FOUND` (22).
    public static let queryNotFound = ResponseCode(22)
    /// `SUBSCRIPTION_PARSE_FAILED` (23).
    public static let subscriptionParseFailed = ResponseCode(23)
    /// `SUBSCRIPTION_NOT_EXIST` (24).
    public static let subscriptionNotExist = ResponseCode(24)
    /// `SUBSCRIPTION_NOT_LATEST` (25).
    public static let subscriptionNotLatest = ResponseCode(25)
    /// `SUBSCRIPTION_GROUP_NOT_EXIST` (26).
    public static let subscriptionGroupNotExist = ResponseCode(26)
    /// `FILTER_DATA_NOT_EXIST` (27).
    public static let filterDataNotExist = ResponseCode(27)
    /// `FILTER_DATA_NOT_LATEST` (28).
    public static let filterDataNotLatest = ResponseCode(28)
    /// `TRANSACTION_SHOULD_COMMIT` (200).
    public static let transactionShouldCommit = ResponseCode(200)
    /// `TRANSACTION_SHOULD_ROLLBACK` (201).
    public static let transactionShouldRollback = ResponseCode(201)
    /// `TRANSACTION_STATE_UNKNOW` (202).
    public static let transactionStateUnknow = ResponseCode(202)
    /// `TRANSACTION_STATE_GROUP_WRONG` (203).
    public static let transactionStateGroupWrong = ResponseCode(203)
    /// `NO_BUYER_ID` (204).
    public static let noBuyerId = ResponseCode(204)
    /// `NOT_IN_CURRENT_UNIT` (205).
    public static let notInCurrentUnit = ResponseCode(205)
    /// `CONSUMER_NOT_ONLINE` (206).
    public static let consumerNotOnline = ResponseCode(206)
    /// `CONSUME_MSG_TIMEOUT` (207).
    public static let consumeMsgTimeout = ResponseCode(207)
    /// `NO_MESSAGE` (208).
    public static let noMessage = ResponseCode(208)
    /// `UPDATE_AND_CREATE_ACL_CONFIG_FAILED` (209).
    public static let updateAndCreateAclConfigFailed = ResponseCode(209)
    /// `DELETE_ACL_CONFIG_FAILED` (210).
    public static let deleteAclConfigFailed = ResponseCode(210)
    /// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED` (211).
    public static let updateGlobalWhiteAddrsConfigFailed = ResponseCode(211)
    /// `FLOW_CONTROL` (215).
    public static let flowControl = ResponseCode(215)

    /// The Java constant name, e.g. `"PULL_NOT_FOUND"`; `nil` for a code not in 4.9.8.
    public var name: String? { Self.names[rawValue] }

    public var description: String { name.map { "\($0)(\(rawValue))" } ?? "ResponseCode(\(rawValue))" }

    static let names: [Int32: String] = [
        0: "SUCCESS",
        1: "SYSTEM_ERROR",
        2: "SYSTEM_BUSY",
        3: "REQUEST_CODE_NOT_SUPPORTED",
        4: "TRANSACTION_FAILED",
        10: "FLUSH_DISK_TIMEOUT",
        11: "SLAVE_NOT_AVAILABLE",
        12: "FLUSH_SLAVE_TIMEOUT",
        13: "MESSAGE_ILLEGAL",
        14: "SERVICE_NOT_AVAILABLE",
        15: "VERSION_NOT_SUPPORTED",
        16: "NO_PERMISSION",
        17: "TOPIC_NOT_EXIST",
        18: "TOPIC_EXIST_ALREADY",
        19: "PULL_NOT_FOUND",
        20: "PULL_RETRY_IMMEDIATELY",
        21: "PULL_OFFSET_MOVED",
        22: "QUERY_NOT_FOUND",
        23: "SUBSCRIPTION_PARSE_FAILED",
        24: "SUBSCRIPTION_NOT_EXIST",
        25: "SUBSCRIPTION_NOT_LATEST",
        26: "SUBSCRIPTION_GROUP_NOT_EXIST",
        27: "FILTER_DATA_NOT_EXIST",
        28: "FILTER_DATA_NOT_LATEST",
        200: "TRANSACTION_SHOULD_COMMIT",
        201: "TRANSACTION_SHOULD_ROLLBACK",
        202: "TRANSACTION_STATE_UNKNOW",
        203: "TRANSACTION_STATE_GROUP_WRONG",
        204: "NO_BUYER_ID",
        205: "NOT_IN_CURRENT_UNIT",
        206: "CONSUMER_NOT_ONLINE",
        207: "CONSUME_MSG_TIMEOUT",
        208: "NO_MESSAGE",
        209: "UPDATE_AND_CREATE_ACL_CONFIG_FAILED",
        210: "DELETE_ACL_CONFIG_FAILED",
        211: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED",
        215: "FLOW_CONTROL",
    ]
}
