import TestSupport
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
        let request = sendRequest(topic: "SlowTopic", body: "x")
        let response = try await withTimeout { try await client.call(request) }
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

final class TestBrokerRobustnessTests: TestBrokerTestCase {
    func testHostileRequestsGetErrorsAndTheBrokerStaysUp() async throws {
        let client = try await connect(broker.brokerAddress)
        var endless = pullRequest(topic: "TBW102", offset: 0, suspendMillis: Int64.max)
        endless.opaque = 1
        try await client.send(endless)
        let badTopic = try await client.call(sendRequest(topic: "bad topic!", body: "x"))
        XCTAssertEqual(badTopic.responseCode, .systemError)
        let tooBig = try await client.call({ var c = sendRequest(topic: "BigTopic", body: ""); c.body = [UInt8](repeating: 1, count: 4 * 1024 * 1024 + 1); return c }())
        XCTAssertEqual(tooBig.responseCode, .messageIllegal)
        let missingHeader = try await client.call(RemotingCommand.request(code: .pullMessage, extFields: ["topic": "TBW102"]))
        XCTAssertEqual(missingHeader.responseCode, .systemError)
        XCTAssertTrue(missingHeader.remark?.contains("consumerGroup") == true)
        let badBatch = try await client.call({ var c = sendRequest(topic: "BatchTopic", body: ""); c.code = RequestCode.sendBatchMessage.rawValue; c.body = [0, 0, 0, 99]; return c }())
        XCTAssertEqual(badBatch.responseCode, .systemError)
        let badHeartbeat = try await client.call(RemotingCommand.request(code: .heartBeat, body: Array("{not json".utf8)))
        XCTAssertEqual(badHeartbeat.responseCode, .systemError)
    }

    func testMutatedCapturedFramesNeverBringTheBrokerDown() async throws {
        var rng = SeededGenerator(seed: 2026)
        let frames = try GoldenCorpus.allRecords().filter { $0.dir == "client->broker" }.map(\.frame)
        for round in 0..<40 {
            let client = try await RawClient.connect(broker.brokerAddress, group: group)
            for _ in 0..<5 {
                guard var bytes = frames.randomElement(using: &rng) else { return XCTFail("no frames") }
                let at = Int.random(in: 8..<bytes.count, using: &rng)
                bytes[at] = UInt8.random(in: 0...255, using: &rng)
                try? await client.sendRaw(bytes)
            }
            if round % 2 == 0 { try? await client.sendRaw([0x00, 0xFF, 0xFF, 0xFF]) }
            await client.close()
        }
        let names = try await connect(broker.nameServerAddress)
        let route = try await names.call(RemotingCommand.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: "TBW102")))
        XCTAssertEqual(route.responseCode, .success)
        let client = try await connect(broker.brokerAddress)
        let after = try await client.call(sendRequest(topic: "AfterFuzz", body: "ok"))
        XCTAssertEqual(after.responseCode, .success)
    }
}
