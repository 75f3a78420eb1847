/// A message as the broker stores and returns it (Java `MessageExt`; layout in
/// docs/protocol-remoting.md §4.6).
///
/// ``storedBody`` is the body as stored (compressed when `sysFlag & 1`); ``body`` is the payload
/// the application sees (inflated by ``StoredMessageDecoder``). ``propertiesText`` keeps the exact
/// properties string, so a message re-encodes to the same bytes.
///
/// A value type; safe to pass between threads and tasks.
public struct StoredMessage: Sendable, Equatable {
    /// `MESSAGE_MAGIC_CODE` of 4.x stored messages.
    public static let magicCode: Int32 = -626_843_481  // 0xDAA320A7
    /// 5.x `MESSAGE_MAGIC_CODE_V2`: like ``magicCode`` but with a 2-byte topic length.
    public static let magicCodeV2: Int32 = -626_843_477  // 0xDAA320AB
    /// `BLANK_MAGIC_CODE`: pads the end of a commit-log file; never a message.
    public static let blankMagicCode: Int32 = -875_286_124  // 0xCBD43194

    public var storeSize: Int32
    public var magic: Int32
    public var bodyCRC: Int32
    public var queueId: Int32
    /// The user flag.
    public var flag: Int32
    public var queueOffset: Int64
    /// The commit-log (physical) offset; CONSUMER_SEND_MSG_BACK names a message by it.
    public var commitLogOffset: Int64
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var bornHost: HostAddress
    public var storeTimestamp: Int64
    public var storeHost: HostAddress
    public var reconsumeTimes: Int32
    public var preparedTransactionOffset: Int64
    /// The body as stored (compressed if `sysFlag & 1`).
    public var storedBody: [UInt8]
    /// The application payload (inflated).
    public var body: [UInt8]
    public var topic: String
    /// The properties string exactly as stored (docs/protocol-remoting.md §4.1).
    public var propertiesText: String

    /// Creates a message; ``storeSize`` and ``bodyCRC`` are computed by ``StoredMessageEncoder`` when
    /// left at 0.
    public init(
        storeSize: Int32 = 0,
        magic: Int32 = StoredMessage.magicCode,
        bodyCRC: Int32 = 0,
        queueId: Int32,
        flag: Int32 = 0,
        queueOffset: Int64,
        commitLogOffset: Int64,
        sysFlag: Int32 = 0,
        bornTimestamp: Int64,
        bornHost: HostAddress,
        storeTimestamp: Int64,
        storeHost: HostAddress,
        reconsumeTimes: Int32 = 0,
        preparedTransactionOffset: Int64 = 0,
        storedBody: [UInt8],
        body: [UInt8]? = nil,
        topic: String,
        propertiesText: String
    ) {
        self.storeSize = storeSize
        self.magic = magic
        self.bodyCRC = bodyCRC
        self.queueId = queueId
        self.flag = flag
        self.queueOffset = queueOffset
        self.commitLogOffset = commitLogOffset
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.bornHost = bornHost
        self.storeTimestamp = storeTimestamp
        self.storeHost = storeHost
        self.reconsumeTimes = reconsumeTimes
        self.preparedTransactionOffset = preparedTransactionOffset
        self.storedBody = storedBody
        self.body = body ?? storedBody
        self.topic = topic
        self.propertiesText = propertiesText
    }

    /// The properties as a dictionary.
    public var properties: [String: String] { MessageProperties.decode(propertiesText) }

    /// `TAGS`, if any.
    public var tags: String? { MessageProperties.value(of: MessagePropertyKey.tags, in: propertiesText) }

    /// `KEYS` (space-separated), if any.
    public var keys: String? { MessageProperties.value(of: MessagePropertyKey.keys, in: propertiesText) }

    /// The broker-assigned id: store host + commit-log offset (docs/protocol-remoting.md §4.5).
    public var offsetMsgId: String {
        MessageID.offsetMessageID(storeHost: storeHost, commitLogOffset: commitLogOffset)
    }

    /// What clients call the message id: `UNIQ_KEY` when present, else ``offsetMsgId``.
    public var msgId: String {
        MessageProperties.value(of: MessagePropertyKey.uniqueClientMessageIdKey, in: propertiesText) ?? offsetMsgId
    }

    /// `sysFlag & 1`.
    public var isCompressed: Bool { sysFlag & MessageSysFlag.compressed != 0 }
}
