// The XML bodies of the HTTP access protocol (docs/protocol-mq-http.md §4). Encoded without a prolog or
// namespace, as the Go SDK sends them; decoded by local name, whatever the namespace and element
// order, because the SDKs of other languages (and the service) add `xmlns`.

/// A body: read from its root element, written as the root's children.
public protocol MQHTTPXMLBody: Sendable {
    init(xml: MQHTTPXMLElement) throws
    func write(to writer: inout MQHTTPXMLWriter)
}

/// `POST` body: `<Message><MessageBody>…</MessageBody>[<MessageTag>…</MessageTag>][<Properties>…</Properties>]</Message>`.
public struct MQHTTPPublishRequest: MQHTTPXMLBody, Equatable {
    public var body: String
    public var tag: String?
    /// The encoded `key:value|` string (`MQHTTPProperties.encode`).
    public var properties: String?

    public init(body: String, tag: String?, properties: String?) {
        self.body = body
        self.tag = tag?.isEmpty == true ? nil : tag
        self.properties = properties?.isEmpty == true ? nil : properties
    }

    public init(xml: MQHTTPXMLElement) {
        body = xml.text(of: "MessageBody") ?? ""
        tag = xml.text(of: "MessageTag")
        properties = xml.text(of: "Properties")
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        writer.element("MessageBody", body)
        writer.element("MessageTag", tag)
        writer.element("Properties", properties)
    }
}

/// A publish answer: `<Message><MessageId/><MessageBodyMD5/>[<ReceiptHandle/>]</Message>`.
public struct MQHTTPPublishReceipt: MQHTTPXMLBody, Equatable {
    public var messageID: String
    public var bodyMD5: String
    public var receiptHandle: String?

    public init(messageID: String, bodyMD5: String, receiptHandle: String? = nil) {
        self.messageID = messageID
        self.bodyMD5 = bodyMD5
        self.receiptHandle = receiptHandle
    }

    public init(xml: MQHTTPXMLElement) throws {
        messageID = try xml.requiredText(of: "MessageId")
        bodyMD5 = try xml.requiredText(of: "MessageBodyMD5")
        receiptHandle = xml.text(of: "ReceiptHandle")
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        writer.element("MessageId", messageID)
        writer.element("MessageBodyMD5", bodyMD5)
        writer.element("ReceiptHandle", receiptHandle)
    }
}

/// One message of a consume answer.
public struct MQHTTPReceivedMessage: MQHTTPXMLBody, Equatable {
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

    public init(xml: MQHTTPXMLElement) throws {
        messageID = try xml.requiredText(of: "MessageId")
        receiptHandle = try xml.requiredText(of: "ReceiptHandle")
        bodyMD5 = xml.text(of: "MessageBodyMD5") ?? ""
        body = xml.text(of: "MessageBody") ?? ""
        publishTime = try xml.requiredInteger(of: "PublishTime")
        nextConsumeTime = try xml.requiredInteger(of: "NextConsumeTime")
        firstConsumeTime = try xml.integer(of: "FirstConsumeTime", as: Int64.self) ?? publishTime
        consumedTimes = try xml.integer(of: "ConsumedTimes", as: Int.self) ?? 1
        tag = xml.text(of: "MessageTag")
        properties = xml.text(of: "Properties")
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        writer.element("MessageId", messageID)
        writer.element("ReceiptHandle", receiptHandle)
        writer.element("MessageBodyMD5", bodyMD5)
        writer.element("MessageBody", body)
        writer.element("PublishTime", String(publishTime))
        writer.element("NextConsumeTime", String(nextConsumeTime))
        writer.element("FirstConsumeTime", String(firstConsumeTime))
        writer.element("ConsumedTimes", String(consumedTimes))
        writer.element("MessageTag", tag)
        writer.element("Properties", properties)
    }
}

/// `<Messages>` with up to 16 `<Message>`.
public struct MQHTTPReceivedMessages: MQHTTPXMLBody, Equatable {
    public var messages: [MQHTTPReceivedMessage]

    public init(messages: [MQHTTPReceivedMessage]) { self.messages = messages }

    public init(xml: MQHTTPXMLElement) throws {
        messages = try xml.elements(named: "Message").map(MQHTTPReceivedMessage.init(xml:))
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        for message in messages {
            writer.open("Message")
            message.write(to: &writer)
            writer.close("Message")
        }
    }
}

/// `DELETE` body: `<ReceiptHandles><ReceiptHandle>h</ReceiptHandle>…</ReceiptHandles>`.
public struct MQHTTPReceiptHandles: MQHTTPXMLBody, Equatable {
    public var handles: [String]

    public init(handles: [String]) { self.handles = handles }

    public init(xml: MQHTTPXMLElement) {
        handles = xml.elements(named: "ReceiptHandle").map(\.text)
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        for handle in handles { writer.element("ReceiptHandle", handle) }
    }
}

/// The service's error body: `<Error><Code/><Message/><RequestId/><HostId/></Error>`.
public struct MQHTTPErrorBody: MQHTTPXMLBody, Equatable {
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

    public init(xml: MQHTTPXMLElement) throws {
        code = try xml.requiredText(of: "Code")
        message = xml.text(of: "Message") ?? ""
        requestID = xml.text(of: "RequestId")
        hostID = xml.text(of: "HostId")
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        writer.element("Code", code)
        writer.element("Message", message)
        writer.element("RequestId", requestID)
        writer.element("HostId", hostID)
    }
}

/// A failed ack, per handle: `<Errors><Error><ErrorCode/><ErrorMessage/><ReceiptHandle/></Error>…</Errors>`.
public struct MQHTTPAckFailure: MQHTTPXMLBody, Equatable {
    public var code: String
    public var message: String
    public var receiptHandle: String

    public init(code: String, message: String, receiptHandle: String) {
        self.code = code
        self.message = message
        self.receiptHandle = receiptHandle
    }

    public init(xml: MQHTTPXMLElement) throws {
        code = try xml.requiredText(of: "ErrorCode")
        message = xml.text(of: "ErrorMessage") ?? ""
        receiptHandle = xml.text(of: "ReceiptHandle") ?? ""
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        writer.element("ErrorCode", code)
        writer.element("ErrorMessage", message)
        writer.element("ReceiptHandle", receiptHandle)
    }
}

public struct MQHTTPAckFailures: MQHTTPXMLBody, Equatable {
    public var failures: [MQHTTPAckFailure]

    public init(failures: [MQHTTPAckFailure]) { self.failures = failures }

    public init(xml: MQHTTPXMLElement) throws {
        failures = try xml.elements(named: "Error").map(MQHTTPAckFailure.init(xml:))
    }

    public func write(to writer: inout MQHTTPXMLWriter) {
        for failure in failures {
            writer.open("Error")
            failure.write(to: &writer)
            writer.close("Error")
        }
    }
}

/// Encoding and decoding with the protocol's conventions.
public enum MQHTTPXML {
    /// Root element names.
    public static let messageRoot = "Message", messagesRoot = "Messages", receiptHandlesRoot = "ReceiptHandles"
    public static let errorRoot = "Error", errorsRoot = "Errors"
    /// The namespace the other SDKs and the service's documentation use.
    public static let namespace = "http://mq.aliyuncs.com/doc/v1/"

    /// `value` under `root`, no prolog. `namespace` adds `xmlns` (the service's answers carry it).
    public static func encode<Value: MQHTTPXMLBody>(_ value: Value, root: String, namespace: String? = nil) -> [UInt8] {
        var writer = MQHTTPXMLWriter()
        writer.open(root, namespace: namespace)
        value.write(to: &writer)
        writer.close(root)
        return writer.bytes
    }

    /// Decodes by local element name, whatever the root is called; text is kept exactly (message
    /// bodies may start or end with white space). Throws `MQHTTPXMLError` on anything else.
    public static func decode<Value: MQHTTPXMLBody>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try Value(xml: MQHTTPXMLElement.parse(bytes))
    }

    /// True when `text` can travel as XML character data: every scalar in XML 1.0's Char range.
    public static func isRepresentable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(MQHTTPXMLElement.isXMLCharacter)
    }
}
