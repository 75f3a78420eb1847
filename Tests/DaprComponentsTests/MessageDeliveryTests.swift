@testable import DaprComponents
import DaprProto
import Foundation
import XCTest

/// The ack table of a Read stream, without sockets: every entry leaves on its ack, its timeout or
/// the stream's end, whatever the order.
final class MessageDeliveryTests: XCTestCase {
    private final class Sent: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [ReadResponse] = []
        func append(_ message: ReadResponse) { lock.withLock { messages.append(message) } }
        var all: [ReadResponse] { lock.withLock { messages } }
    }

    func testAcksInAnyOrderReachTheirMessages() async {
        let sent = Sent()
        final class Reference: @unchecked Sendable { weak var delivery: MessageDelivery? }
        let reference = Reference()
        let delivery = MessageDelivery { message, done in
            sent.append(message)
            defer { done(true) }
            // daprd may answer before the send returns: the ack must still find its message.
            if message.data == [2] { reference.delivery?.acknowledge(ReadRequest(messageID: message.messageID, responseError: "app failed")) }
        }
        reference.delivery = delivery
        async let first = delivery.deliver(data: [1], metadata: [:], contentType: "", timeout: .seconds(60))
        async let second = delivery.deliver(data: [2], metadata: [:], contentType: "", timeout: .seconds(60))
        while sent.all.count < 2 { await Task.yield() }
        let firstID = sent.all.first { $0.data == [1] }!.messageID
        XCTAssertTrue(delivery.acknowledge(ReadRequest(responseData: [9], messageID: firstID)))
        let outcomes = await (first, second)
        XCTAssertEqual(outcomes.0, .success(responseData: [9]))
        XCTAssertEqual(outcomes.1, .failure(message: "app failed"))
        XCTAssertEqual(delivery.inFlight, 0)
        XCTAssertFalse(delivery.acknowledge(ReadRequest(messageID: firstID)), "a repeated ack is unknown")
    }

    func testUnackedMessagesTimeOutAndTheStreamEndReleasesTheRest() async {
        let delivery = MessageDelivery { _, done in done(true) }
        let timedOut = await delivery.deliver(data: [], metadata: [:], contentType: "", timeout: .milliseconds(50))
        XCTAssertEqual(timedOut, .timedOut)
        async let waiting = delivery.deliver(data: [], metadata: [:], contentType: "", timeout: .seconds(60))
        while delivery.inFlight == 0 { await Task.yield() }
        delivery.end()
        let ended = await waiting
        XCTAssertEqual(ended, .streamEnded)
        XCTAssertEqual(delivery.inFlight, 0)
        let afterEnd = await delivery.deliver(data: [], metadata: [:], contentType: "", timeout: .seconds(60))
        XCTAssertEqual(afterEnd, .streamEnded)
    }

    func testAFailedSendEndsThatDeliveryOnly() async {
        let delivery = MessageDelivery { _, done in done(false) }
        let outcome = await delivery.deliver(data: [], metadata: [:], contentType: "", timeout: .seconds(60))
        XCTAssertEqual(outcome, .streamEnded)
        XCTAssertEqual(delivery.inFlight, 0)
    }

    func testEachCallbackDeliveryCompletesExactlyOnceWhateverComesFirst() {
        let sent = Sent()
        let delivery = MessageDelivery { message, done in
            sent.append(message)
            done(true)
        }
        final class Outcomes: @unchecked Sendable {
            private let lock = NSLock()
            private var byIndex: [Int: [AckOutcome]] = [:]
            func record(_ index: Int, _ outcome: AckOutcome) { lock.withLock { byIndex[index, default: []].append(outcome) } }
            var all: [Int: [AckOutcome]] { lock.withLock { byIndex } }
        }
        let outcomes = Outcomes()
        for index in 0..<100 {
            delivery.deliver(data: [UInt8(index)], metadata: ["i": "\(index)"], contentType: "", timeout: .seconds(60)) {
                outcomes.record(index, $0)
            }
        }
        XCTAssertEqual(sent.all.count, 100)
        XCTAssertEqual(Set(sent.all.map(\.messageID)).count, 100, "every delivery gets its own message id")
        for message in sent.all where message.data[0] % 2 == 0 {
            XCTAssertTrue(delivery.acknowledge(ReadRequest(messageID: message.messageID)))
        }
        delivery.end()
        for message in sent.all where message.data[0] % 2 == 0 {
            XCTAssertFalse(delivery.acknowledge(ReadRequest(messageID: message.messageID)), "already resolved")
        }
        delivery.deliver(data: [], metadata: [:], contentType: "", timeout: .seconds(60)) { outcomes.record(-1, $0) }
        var all = outcomes.all
        XCTAssertEqual(all.removeValue(forKey: -1), [.streamEnded], "after the end a delivery completes at once")
        XCTAssertEqual(sent.all.count, 100, "and sends nothing")
        XCTAssertEqual(all.count, 100)
        for (index, results) in all {
            XCTAssertEqual(results, [index % 2 == 0 ? .success(responseData: []) : .streamEnded], "message \(index)")
        }
        XCTAssertEqual(delivery.inFlight, 0)
    }
}
