import NIOCore
import RocketMQTestBroker
import RocketMQWire
import XCTest

final class TestBrokerAclTests: TestBrokerTestCase {
    override func configuration() -> RocketMQTestBrokerConfiguration {
        var configuration = super.configuration()
        configuration.acl = .init(accessKey: "rmqUser", secretKey: "rmqUserSecret1")
        return configuration
    }

    func testSignedRequestsPassAndOthersAreRefusedLikeTheCapturedBroker() async throws {
        let client = try await connect(broker.brokerAddress)
        var signed = sendRequest(topic: "AclTopic", body: "hello")
        AclSigner.sign(&signed, accessKey: "rmqUser", secretKey: "rmqUserSecret1")
        let awaited7 = try await client.call(signed)
        XCTAssertEqual(awaited7.responseCode, .success)

        var wrong = sendRequest(topic: "AclTopic", body: "hello")
        AclSigner.sign(&wrong, accessKey: "rmqUser", secretKey: "wrongSecret")
        let refused = try await client.call(wrong)
        XCTAssertEqual(refused.responseCode, .systemError)
        XCTAssertTrue(refused.remark?.hasPrefix("org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=rmqUser") == true)

        var tampered = signed
        tampered.body = Array("HELLO".utf8)
        let awaited8 = try await client.call(tampered)
        XCTAssertEqual(awaited8.responseCode, .systemError)

        let unsigned = try await client.call(sendRequest(topic: "AclTopic", body: "hello"))
        XCTAssertEqual(unsigned.responseCode, .systemError)
        XCTAssertTrue(unsigned.remark?.hasPrefix("org.apache.rocketmq.acl.common.AclException: No accessKey is configured") == true)

        // The 4.9.8 name server does not check signatures.
        let names = try await connect(broker.nameServerAddress)
        let route = try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "AclTopic")))
        XCTAssertEqual(route.responseCode, .success)
    }

    func testCapturedSignedFramesAreAcceptedAndWrongSecretFramesRefused() async throws {
        let client = try await connect(broker.brokerAddress)
        var accepted = 0
        var refused = 0
        for record in try GoldenCorpus.records("producer-acl.jsonl") where record.dir == "client->broker" {
            let command = try RemotingCommand.decode(frame: record.frame)
            guard command.requestCode == .heartBeat || command.requestCode == .unregisterClient else { continue }
            try await client.sendRaw(record.frame)
            let response = try await withTimeout { try await client.response(opaque: command.opaque) }
            if command.extFields["AccessKey"] != nil,
               AclSigner.verify(command, accessKey: "rmqUser", secretKey: "rmqUserSecret1") == nil {
                XCTAssertEqual(response.responseCode, .success, record.name)
                accepted += 1
            } else {
                XCTAssertEqual(response.responseCode, .systemError, record.name)
                refused += 1
            }
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertGreaterThan(refused, 0)
    }
}

final class TestBrokerFaultTests: TestBrokerTestCase {
    func testInjectedErrorsReplaceTheAnswerUntilCleared() async throws {
        let client = try await connect(broker.brokerAddress)
        try await broker.injectError(for: .sendMessageV2, responseCode: .systemBusy, remark: "[REJECTREQUEST]system busy")
        let busy = try await client.call(sendRequest(topic: "FaultTopic", body: "x"))
        XCTAssertEqual(busy.responseCode, .systemBusy)
        XCTAssertEqual(busy.remark, "[REJECTREQUEST]system busy")
        try await broker.clearInjectedErrors()
        let awaited9 = try await client.call(sendRequest(topic: "FaultTopic", body: "x"))
        XCTAssertEqual(awaited9.responseCode, .success)
        let sends = try await broker.requestCount(.sendMessageV2)
        XCTAssertEqual(sends, 2)
    }

    func testDelayedResponsesStillArrive() async throws {
        let client = try await connect(broker.brokerAddress)
        try await broker.setResponseDelay(.milliseconds(20))
        let response = try await withTimeout { try await client.call(self.sendRequest(topic: "SlowTopic", body: "x")) }
        XCTAssertEqual(response.responseCode, .success)
        try await broker.setResponseDelay(nil)
    }

    func testDroppedAndRefusedConnectionsAreClosed() async throws {
        let client = try await connect(broker.brokerAddress)
        _ = try await client.call(sendRequest(topic: "DropTopic", body: "x"))
        try await broker.dropAllConnections()
        try await withTimeout { try await client.channel.closeFuture.get() }
        XCTAssertFalse(client.channel.isActive)

        try await broker.setRefusingConnections(true)
        let refused = try await connect(broker.brokerAddress)
        try await withTimeout { try await refused.channel.closeFuture.get() }
        try await broker.setRefusingConnections(false)
        let again = try await connect(broker.brokerAddress)
        let awaited10 = try await again.call(sendRequest(topic: "DropTopic", body: "y"))
        XCTAssertEqual(awaited10.responseCode, .success)
    }

    func testRestartKeepsDataAndPorts() async throws {
        let client = try await connect(broker.brokerAddress)
        _ = try await client.call(sendRequest(topic: "KeepTopic", body: "kept"))
        let address = broker.brokerAddress
        try await broker.stop()
        try await withTimeout { try await client.channel.closeFuture.get() }
        try await broker.restart()
        XCTAssertEqual(broker.brokerAddress, address)
        let reconnected = try await connect(broker.brokerAddress)
        let pulled = try await reconnected.call(pullRequest(topic: "KeepTopic", offset: 0))
        XCTAssertEqual(try StoredMessageDecoder.decodeAll(pulled.body).map { String(decoding: $0.body, as: UTF8.self) }, ["kept"])
        let names = try await connect(broker.nameServerAddress)
        let awaited11 = try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "KeepTopic")))
        XCTAssertEqual(awaited11.responseCode, .success)
    }

    func testMalformedFramesCloseTheConnection() async throws {
        let client = try await connect(broker.brokerAddress)
        try await client.sendRaw([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        try await withTimeout { try await client.channel.closeFuture.get() }
        XCTAssertFalse(client.channel.isActive)
    }
}
