/// One remoting command: a request, a response or a oneway push (`RemotingCommand.java`,
/// docs/protocol-remoting.md §1).
///
/// The same type travels in both directions and in both header serializations; ``serializeType``
/// says how it was received or how it is to be sent. Custom headers live in ``extFields`` as strings,
/// exactly as on the wire; the typed header structs (``SendMessageRequestHeader`` etc.) convert.
///
/// Equality compares what the protocol means (code, language, version, opaque, flag, remark,
/// extFields, body, serializeType); it ignores ``extFieldsOrder`` and ``encodesEmptyExtFields``,
/// which only steer how bytes are reproduced.
///
/// A value type; safe to pass between threads and tasks.
public struct RemotingCommand: Sendable, Equatable, CustomStringConvertible {
    /// The `version` we send: `MQVersion.Version.V4_9_8.ordinal()` = 409, the same as the Java 4.9.8
    /// client. It matters to the servers: a name server answers a route request with standard JSON only
    /// for version ≥ 401 (docs/protocol-remoting.md §1.6, §3.2), and a broker honours
    /// `maxReconsumeTimes` only for version ≥ 121.
    public static let defaultVersion: Int32 = 409

    /// The `language` we send: `OTHER`. Nothing in a 4.9.8 broker or name server changes behaviour on
    /// the language (docs/protocol-remoting.md §1.6: it is only recorded from HEART_BEAT), so we say
    /// honestly that we are neither the Java nor the Go client. The golden version probe was sent as
    /// `OTHER` and was answered normally.
    public static let defaultLanguage: LanguageCode = .other

    /// Flag bit 0: this command is a response.
    public static let responseFlag: Int32 = 1 << 0
    /// Flag bit 1: oneway request, the receiver sends no response.
    public static let onewayFlag: Int32 = 1 << 1

    /// Request code (requests) or response code (responses).
    public var code: Int32
    public var language: LanguageCode
    public var version: Int32
    /// Request id; a response carries its request's opaque.
    public var opaque: Int32
    /// Bit 0 response, bit 1 oneway.
    public var flag: Int32
    /// Free text, usually the error message of a response. `nil` = absent.
    public var remark: String?
    /// The custom header, every value a string.
    public var extFields: [String: String]
    /// The body bytes (empty when there is none).
    public var body: [UInt8]
    /// The header serialization as received, or to use when sending.
    public var serializeType: SerializeType

    /// The order of ``extFields`` keys on the wire: filled by the decoder; when set, the encoder
    /// writes these keys first in this order (then any other keys in Java `HashMap` order), which is
    /// how captured frames are reproduced byte for byte. `nil` = Java `HashMap` iteration order.
    public var extFieldsOrder: [String]?

    /// JSON only: write `"extFields":{}` when ``extFields`` is empty (Java does so when a header
    /// class had only null fields). The decoder sets it when it saw an empty object.
    public var encodesEmptyExtFields: Bool

    /// Creates a command; every parameter has the default a new request would have.
    public init(
        code: Int32,
        language: LanguageCode = RemotingCommand.defaultLanguage,
        version: Int32 = RemotingCommand.defaultVersion,
        opaque: Int32 = 0,
        flag: Int32 = 0,
        remark: String? = nil,
        extFields: [String: String] = [:],
        body: [UInt8] = [],
        serializeType: SerializeType = .json,
        extFieldsOrder: [String]? = nil,
        encodesEmptyExtFields: Bool = false
    ) {
        self.code = code
        self.language = language
        self.version = version
        self.opaque = opaque
        self.flag = flag
        self.remark = remark
        self.extFields = extFields
        self.body = body
        self.serializeType = serializeType
        self.extFieldsOrder = extFieldsOrder
        self.encodesEmptyExtFields = encodesEmptyExtFields
    }

    /// Flag bit 0 is set.
    public var isResponse: Bool { flag & Self.responseFlag != 0 }

    /// Flag bit 1 is set: no response will (or may) be sent.
    public var isOneway: Bool { flag & Self.onewayFlag != 0 }

    /// ``code`` read as a request code.
    public var requestCode: RequestCode { RequestCode(code) }

    /// ``code`` read as a response code.
    public var responseCode: ResponseCode { ResponseCode(code) }

    /// A new request. The caller (the connection) assigns ``opaque`` before sending.
    public static func request(
        code: RequestCode,
        extFields: [String: String] = [:],
        body: [UInt8] = [],
        opaque: Int32 = 0,
        oneway: Bool = false,
        serializeType: SerializeType = .json
    ) -> RemotingCommand {
        RemotingCommand(
            code: code.rawValue,
            opaque: opaque,
            flag: oneway ? Self.onewayFlag : 0,
            extFields: extFields,
            body: body,
            serializeType: serializeType
        )
    }

    /// A response to `request`: copies its opaque, sets flag bit 0 and answers in the request's
    /// serialize type (as `NettyRemotingAbstract.processRequestCommand` does).
    public static func response(
        to request: RemotingCommand,
        code: ResponseCode,
        remark: String? = nil,
        extFields: [String: String] = [:],
        body: [UInt8] = []
    ) -> RemotingCommand {
        RemotingCommand(
            code: code.rawValue,
            opaque: request.opaque,
            flag: Self.responseFlag,
            remark: remark,
            extFields: extFields,
            body: body,
            serializeType: request.serializeType
        )
    }

    public static func == (lhs: RemotingCommand, rhs: RemotingCommand) -> Bool {
        lhs.code == rhs.code && lhs.language == rhs.language && lhs.version == rhs.version
            && lhs.opaque == rhs.opaque && lhs.flag == rhs.flag && lhs.remark == rhs.remark
            && lhs.extFields == rhs.extFields && lhs.body == rhs.body && lhs.serializeType == rhs.serializeType
    }

    public var description: String {
        let name = isResponse ? ResponseCode(code).description : RequestCode(code).description
        return "RemotingCommand(\(name), opaque: \(opaque), flag: \(flag), ext: \(extFields.count) keys, "
            + "body: \(body.count) bytes\(remark.map { ", remark: \($0)" } ?? ""))"
    }

    /// Sets a custom header field, keeping any wire order already recorded.
    public mutating func setExtField(_ key: String, _ value: String) {
        if extFields.updateValue(value, forKey: key) == nil, extFieldsOrder != nil {
            extFieldsOrder?.append(key)
        }
    }
}
