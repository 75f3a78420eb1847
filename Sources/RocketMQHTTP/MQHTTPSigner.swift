import Crypto
import Foundation

/// The request signature of the RocketMQ HTTP access protocol (docs/protocol-mq-http.md §3):
/// `Authorization: MQ {accessKey}:{Base64(HMAC-SHA1(secret, stringToSign))}` with
///
///     METHOD \n Content-MD5 \n Content-Type \n Date \n x-mq-headers \n /path?query
///
/// The same type signs (the client) and verifies (the test server), from header values exactly as
/// they travel: whatever is signed must be byte for byte what is sent.
public struct MQHTTPSigner: Sendable {
    public static let protocolVersion = "2015-06-06"
    public static let versionHeader = "x-mq-version"
    public static let contentType = "text/xml;charset=utf-8"

    public let accessKey: String
    private let secret: [UInt8]

    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        secret = Array(secretKey.utf8)
    }

    /// `mqHeaders` are the `x-mq-*` headers sent (name, value); they are sorted and trimmed here.
    /// `resource` is the path and query exactly as on the request line, starting with `/`.
    public static func stringToSign(method: String, contentMD5: String, contentType: String, date: String,
                                    mqHeaders: [(name: String, value: String)], resource: String) -> String {
        let canonicalHeaders = mqHeaders
            .map { "\($0.name.lowercased()):\($0.value.trimmingCharacters(in: .whitespaces))" }
            .sorted()
        return ([method.uppercased(), contentMD5, contentType, date] + canonicalHeaders + [resource]).joined(separator: "\n")
    }

    public func signature(of stringToSign: String) -> String {
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: secret))
        return Data(code).base64EncodedString()
    }

    public func authorization(of stringToSign: String) -> String {
        "MQ \(accessKey):\(signature(of: stringToSign))"
    }

    /// The service's Content-MD5: Base64 of the lower-case hex MD5 (not RFC 1864's Base64 of the digest).
    public static func contentMD5(of body: some Sequence<UInt8>) -> String {
        Data(bodyMD5(of: body).utf8).base64EncodedString()
    }

    /// Lower-case hex MD5, the form of `<MessageBodyMD5>` (upper-case on the service; compare case-insensitively).
    public static func bodyMD5(of body: some Sequence<UInt8>) -> String {
        Insecure.MD5.hash(data: Array(body)).map { String(format: "%02x", $0) }.joined()
    }

    /// RFC 1123 in GMT with English names, as Go's `http.TimeFormat`: `Thu, 07 Mar 2024 18:49:58 GMT`.
    public static func httpDate(_ date: Date) -> String {
        httpDateFormatter.string(from: date)
    }

    public static func parseHTTPDate(_ text: String) -> Date? {
        httpDateFormatter.date(from: text)
    }

    private static let httpDateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
}
