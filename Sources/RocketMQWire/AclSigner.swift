import Crypto

/// The 4.x plain-ACL request signature (docs/protocol-remoting.md §6; `AclClientRPCHook`, `AclUtils`,
/// `PlainAccessValidator`).
///
/// content = the values of all extFields except `Signature` (and `_UNIQUE_KEY_QUERY`, which the
/// broker skips), ordered by key in Java `String.compareTo` order (UTF-16 code units), concatenated
/// without separators; data = UTF-8(content) ++ body; signature = standard Base64 of
/// HMAC-SHA1(secretKey, data). Like the Java client and broker (not like Go), `SecurityToken` is part
/// of the signed content when present.
///
/// Stateless; safe from any thread.
public enum AclSigner {
    public static let accessKeyField = "AccessKey"
    public static let signatureField = "Signature"
    public static let securityTokenField = "SecurityToken"

    /// The string that is signed (without the body).
    public static func content(extFields: [String: String]) -> String {
        extFields
            .filter { $0.key != signatureField && $0.key != "_UNIQUE_KEY_QUERY" }
            .sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            .map(\.value)
            .joined()
    }

    /// The Base64 signature of `extFields` (minus `Signature`) and `body`.
    public static func signature(extFields: [String: String], body: [UInt8], secretKey: String) -> String {
        var data = Array(content(extFields: extFields).utf8)
        data.append(contentsOf: body)
        let key = SymmetricKey(data: Array(secretKey.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key)
        return base64(Array(mac))
    }

    /// Adds `AccessKey`, the optional `SecurityToken` and `Signature` to a request, as
    /// `AclClientRPCHook.doBeforeRequest` does.
    public static func sign(_ command: inout RemotingCommand, accessKey: String, secretKey: String, securityToken: String? = nil) {
        command.setExtField(accessKeyField, accessKey)
        if let securityToken, !securityToken.isEmpty {
            command.setExtField(securityTokenField, securityToken)
        }
        command.extFields[signatureField] = nil
        command.setExtField(signatureField, signature(extFields: command.extFields, body: command.body, secretKey: secretKey))
    }

    /// Why a signed request was refused.
    public enum VerificationFailure: Error, Sendable, Equatable {
        /// No `AccessKey` field (the broker's remark: "No accessKey is configured").
        case missingAccessKey
        /// The access key is not the configured one.
        case unknownAccessKey(String)
        /// No `Signature` field, or it does not match.
        case signatureMismatch(accessKey: String)
    }

    /// Checks a received request the way `PlainAccessValidator` does, for one configured account.
    public static func verify(_ command: RemotingCommand, accessKey: String, secretKey: String) -> VerificationFailure? {
        guard let presentedKey = command.extFields[accessKeyField], !presentedKey.isEmpty else { return .missingAccessKey }
        guard presentedKey == accessKey else { return .unknownAccessKey(presentedKey) }
        let expected = signature(extFields: command.extFields, body: command.body, secretKey: secretKey)
        guard command.extFields[signatureField] == expected else { return .signatureMismatch(accessKey: presentedKey) }
        return nil
    }

    /// Standard Base64 with padding (no Foundation needed).
    public static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 0x3F)])
            out.append(alphabet[Int(triple >> 12 & 0x3F)])
            out.append(i + 1 < bytes.count ? alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The name the client module first coded against; the same signer.
public typealias AclSignature = AclSigner
