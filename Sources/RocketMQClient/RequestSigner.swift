import RocketMQWire

/// The ACL hook (spec §6): adds `AccessKey`, `SecurityToken` and `Signature` to every request.
struct RequestSigner: Sendable {
    let credentials: Credentials

    func sign(_ command: inout RemotingCommand) {
        command.extFields["AccessKey"] = credentials.accessKey
        if let token = credentials.securityToken, !token.isEmpty {
            command.extFields["SecurityToken"] = token
        }
        command.extFields["Signature"] = nil
        command.extFields["Signature"] = pendingWireSigner(
            extFields: command.extFields, body: command.body, secretKey: credentials.secretKey)
    }
}

// TEMPORARY until RocketMQWire's ACL signer lands: replaced by the Wire call.
private func pendingWireSigner(extFields: [String: String], body: [UInt8], secretKey: String) -> String { "" }
