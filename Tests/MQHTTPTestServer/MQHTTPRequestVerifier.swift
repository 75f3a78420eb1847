import Foundation
import RocketMQHTTP

/// The checks every request passes before it is routed (docs/protocol-mq-http.md §2, §3):
/// authorization, date, signature over the request as received, Content-MD5 and protocol version. Pure:
/// the clock is an argument.
///
/// Codes and statuses come from the service's error table where it gives them; where it does not
/// (marked unverified in docs/protocol-mq-http.md) this double chooses, and says so here:
/// - no `Authorization` → 400 `MissingAuthorizationHeader`; not `MQ ak:sig` → 400 `InvalidAuthorizationHeader`
/// - unknown access key → 403 `InvalidAccessKeyId`; wrong signature → 403 `SignatureDoesNotMatch`
/// - no `Date` → 400 `MissingDateHeader`; unreadable → 400 `InvalidDateHeader`
/// - `Date` more than 15 minutes from the server clock → 400 `TimeExpired` (the status is this double's choice)
/// - `Content-MD5` present but not Base64(hex MD5(body)) → 400 `InvalidDigest`
/// - `x-mq-version` missing or not `2015-06-06` → 400 `InvalidArgument`
struct MQHTTPRequestVerifier: Sendable {
    static let maxClockSkew: TimeInterval = 15 * 60

    /// accessKey → secretKey
    let credentials: [String: String]

    func verify(_ request: MQHTTPRecordedRequest, now: Date) -> MQHTTPRefusal? {
        guard let authorization = request.header("Authorization") else {
            return MQHTTPRefusal(.badRequest, "MissingAuthorizationHeader", "The Authorization header is missing.")
        }
        guard authorization.hasPrefix("MQ "), let colon = authorization.firstIndex(of: ":") else {
            return MQHTTPRefusal(.badRequest, "InvalidAuthorizationHeader", "The Authorization header must be \"MQ AccessKeyId:Signature\".")
        }
        let accessKey = String(authorization[authorization.index(authorization.startIndex, offsetBy: 3)..<colon])
        let signature = String(authorization[authorization.index(after: colon)...])
        guard let secret = credentials[accessKey] else {
            return MQHTTPRefusal(.forbidden, "InvalidAccessKeyId", "The access key id you provided does not exist.")
        }
        guard let dateText = request.header("Date") else {
            return MQHTTPRefusal(.badRequest, "MissingDateHeader", "The Date header is missing.")
        }
        guard let date = MQHTTPSigner.parseHTTPDate(dateText) else {
            return MQHTTPRefusal(.badRequest, "InvalidDateHeader", "The Date header is not an RFC 1123 GMT date.")
        }
        guard abs(date.timeIntervalSince(now)) <= Self.maxClockSkew else {
            return MQHTTPRefusal(.badRequest, "TimeExpired", "The Date header is more than 15 minutes away from the server time.")
        }
        let contentMD5 = request.header("Content-MD5") ?? ""
        let mqHeaders = request.headers
            .filter { $0.name.lowercased().hasPrefix("x-mq-") }
            .map { (name: $0.name, value: $0.value) }
        let stringToSign = MQHTTPSigner.stringToSign(
            method: request.method, contentMD5: contentMD5, contentType: request.header("Content-Type") ?? "",
            date: dateText, mqHeaders: mqHeaders, resource: request.uri)
        let expected = MQHTTPSigner(accessKey: accessKey, secretKey: secret).signature(of: stringToSign)
        guard Array(expected.utf8) == Array(signature.utf8) else {
            return MQHTTPRefusal(.forbidden, "SignatureDoesNotMatch",
                                 "The request signature we calculated does not match the signature you provided.")
        }
        if !contentMD5.isEmpty, contentMD5 != MQHTTPSigner.contentMD5(of: request.body) {
            return MQHTTPRefusal(.badRequest, "InvalidDigest", "The Content-MD5 you specified is invalid.")
        }
        guard request.header(MQHTTPSigner.versionHeader) == MQHTTPSigner.protocolVersion else {
            return .invalidArgument("The x-mq-version header must be \(MQHTTPSigner.protocolVersion).")
        }
        return nil
    }
}
