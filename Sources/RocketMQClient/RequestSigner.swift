import RocketMQWire

/// The ACL hook (docs/protocol-remoting.md §6): adds `AccessKey`, `SecurityToken` and `Signature` to
/// every request, using the wire module's signer (HMAC-SHA1 over the sorted ext values and the body).
struct RequestSigner: Sendable {
    let credentials: Credentials

    func sign(_ command: inout RemotingCommand) {
        let token = credentials.securityToken.flatMap { $0.isEmpty ? nil : $0 }
        AclSigner.sign(&command, accessKey: credentials.accessKey, secretKey: credentials.secretKey, securityToken: token)
    }
}
