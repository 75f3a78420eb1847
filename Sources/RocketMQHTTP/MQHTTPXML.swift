import Foundation
import XMLCoder

// The XML bodies of the HTTP access protocol (mq-http.md §4). Encoded without a prolog or
// namespace, as the Go SDK sends them; decoded by local name, whatever the namespace and element
// order, because the SDKs of other languages (and the service) add `xmlns`.

/// `POST` body: `<Message><MessageBody>…</MessageBody>[<MessageTag>…</MessageTag>][<Properties>…</Properties>]</Message>`.
public struct MQHTTPPublishRequest: Codable, Equatable, Sendable {
    public var body: String
    public var tag: String?
    /// The encoded `key:value|` string (`MQHTTPProperties.encode`).
    public var properties: String?

    public init(body: String, tag: String?, properties: String?) {
        self.body = body
        self.tag = tag?.isEmpty == true ? nil : tag
        self.properties = properties?.isEmpty == true ? nil : properties
    }

    enum CodingKeys: String, CodingKey {
        case body = "MessageBody", tag = "MessageTag", properties = "Properties"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        tag = try container.decodeIfPresent(String.self, forKey: .tag)
        properties = try container.decodeIfPresent(String.self, forKey: .properties)
    }
}

/// A publish answer: `<Message><MessageId/><MessageBodyMD5/>[<ReceiptHandle/>]</Message>`.
public struct MQHTTPPublishReceipt: Codable, Equatable, Sendable {
    public var messageID: String
    public var bodyMD5: String
    public var receiptHandle: String?

    public init(messageID: String, bodyMD5: String, receiptHandle: String? = nil) {
        self.messageID = messageID
        self.bodyMD5 = bodyMD5
        self.receiptHandle = receiptHandle
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "MessageId", bodyMD5 = "MessageBodyMD5", receiptHandle = "ReceiptHandle"
    }
}

/// One message of a consume answer.
public struct MQHTTPReceivedMessage: Codable, Equatable, Sendable {
    public var messageID: String
    public var receiptHandle: String
    public var bodyMD5: String
    public var body: String
    /// Epoch milliseconds.
    public var publishTime: Int64
    /// When the message becomes visible again unless acked (epoch ms).
    public var nextConsumeTime: Int64
    public var firstConsumeTime: Int64
    public var consumedTimes: Int
    public var tag: String?
    public var properties: String?

    public init(messageID: String, receiptHandle: String, bodyMD5: String, body: String, publishTime: Int64,
                nextConsumeTime: Int64, firstConsumeTime: Int64, consumedTimes: Int, tag: String?, properties: String?) {
        self.messageID = messageID
        self.receiptHandle = receiptHandle
        self.bodyMD5 = bodyMD5
        self.body = body
        self.publishTime = publishTime
        self.nextConsumeTime = nextConsumeTime
        self.firstConsumeTime = firstConsumeTime
        self.consumedTimes = consumedTimes
        self.tag = tag
        self.properties = properties
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "MessageId", receiptHandle = "ReceiptHandle", bodyMD5 = "MessageBodyMD5", body = "MessageBody"
        case publishTime = "PublishTime", nextConsumeTime = "NextConsumeTime", firstConsumeTime = "FirstConsumeTime"
        case consumedTimes = "ConsumedTimes", tag = "MessageTag", properties = "Properties"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageID = try container.decode(String.self, forKey: .messageID)
        receiptHandle = try container.decode(String.self, forKey: .receiptHandle)
        bodyMD5 = try container.decodeIfPresent(String.self, forKey: .bodyMD5) ?? ""
        body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""  // an empty element has no text
        publishTime = try container.decode(Int64.self, forKey: .publishTime)
        nextConsumeTime = try container.decode(Int64.self, forKey: .nextConsumeTime)
        firstConsumeTime = try container.decodeIfPresent(Int64.self, forKey: .firstConsumeTime) ?? publishTime
        consumedTimes = try container.decodeIfPresent(Int.self, forKey: .consumedTimes) ?? 1
        tag = try container.decodeIfPresent(String.self, forKey: .tag)
        properties = try container.decodeIfPresent(String.self, forKey: .properties)
    }
}

/// `<Messages>` with up to 16 `<Message>`.
public struct MQHTTPReceivedMessages: Codable, Equatable, Sendable {
    public var messages: [MQHTTPReceivedMessage]

    public init(messages: [MQHTTPReceivedMessage]) { self.messages = messages }

    enum CodingKeys: String, CodingKey { case messages = "Message" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decodeIfPresent([MQHTTPReceivedMessage].self, forKey: .messages) ?? []
    }
}

/// `DELETE` body: `<ReceiptHandles><ReceiptHandle>h</ReceiptHandle>…</ReceiptHandles>`.
public struct MQHTTPReceiptHandles: Codable, Equatable, Sendable {
    public var handles: [String]

    public init(handles: [String]) { self.handles = handles }

    enum CodingKeys: String, CodingKey { case handles = "ReceiptHandle" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        handles = try container.decodeIfPresent([String].self, forKey: .handles) ?? []
    }
}

/// The service's error body: `<Error><Code/><Message/><RequestId/><HostId/></Error>`.
public struct MQHTTPErrorBody: Codable, Equatable, Sendable {
    public var code: String
    public var message: String
    public var requestID: String?
    public var hostID: String?

    public init(code: String, message: String, requestID: String? = nil, hostID: String? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.hostID = hostID
    }

    enum CodingKeys: String, CodingKey {
        case code = "Code", message = "Message", requestID = "RequestId", hostID = "HostId"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        requestID = try container.decodeIfPresent(String.self, forKey: .requestID)
        hostID = try container.decodeIfPresent(String.self, forKey: .hostID)
    }
}

/// A failed ack, per handle: `<Errors><Error><ErrorCode/><ErrorMessage/><ReceiptHandle/></Error>…</Errors>`.
public struct MQHTTPAckFailure: Codable, Equatable, Sendable {
    public var code: String
    public var message: String
    public var receiptHandle: String

    public init(code: String, message: String, receiptHandle: String) {
        self.code = code
        self.message = message
        self.receiptHandle = receiptHandle
    }

    enum CodingKeys: String, CodingKey {
        case code = "ErrorCode", message = "ErrorMessage", receiptHandle = "ReceiptHandle"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        receiptHandle = try container.decodeIfPresent(String.self, forKey: .receiptHandle) ?? ""
    }
}

public struct MQHTTPAckFailures: Codable, Equatable, Sendable {
    public var failures: [MQHTTPAckFailure]

    public init(failures: [MQHTTPAckFailure]) { self.failures = failures }

    enum CodingKeys: String, CodingKey { case failures = "Error" }
}

/// Encoding and decoding with the protocol's conventions.
public enum MQHTTPXML {
    /// Root element names.
    public static let messageRoot = "Message", messagesRoot = "Messages", receiptHandlesRoot = "ReceiptHandles"
    public static let errorRoot = "Error", errorsRoot = "Errors"
    /// The namespace the other SDKs and the service's documentation use.
    public static let namespace = "http://mq.aliyuncs.com/doc/v1/"

    /// `value` under `root`, no prolog. `namespace` adds `xmlns` (the service's answers carry it).
    public static func encode<Value: Encodable>(_ value: Value, root: String, namespace: String? = nil) throws -> [UInt8] {
        let encoder = XMLEncoder()
        // A carriage return would be normalised to a line feed by the reader's parser; escaped, it survives.
        encoder.charactersEscapedInElements.append(("\r", "&#xD;"))
        let attributes = namespace.map { ["xmlns": $0] }
        return Array(try encoder.encode(value, withRootKey: root, rootAttributes: attributes, header: nil))
    }

    /// Decodes by local element name; text is kept exactly (message bodies may start or end with
    /// white space). Throws `MQHTTPError.malformedResponse`-ready `DecodingError`s on anything else.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        let decoder = XMLDecoder(trimValueWhitespaces: false, removeWhitespaceElements: false)
        decoder.shouldProcessNamespaces = true
        return try decoder.decode(type, from: Data(bytes))
    }

    /// True when `text` can travel as XML character data: every scalar in XML 1.0's Char range.
    public static func isRepresentable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
            default: return false
            }
        }
    }
}
