import RocketMQWire
import XCTest
@testable import RocketMQClient

/// The consumer's message sequence without a broker: order across batches, finishing, cancellation.
final class ConsumedMessagesTests: XCTestCase {
    private func messages(_ range: Range<Int>) -> [ConsumedMessage] {
        range.map { index in
            let stored = StoredMessage(
                queueId: 0, queueOffset: Int64(index), commitLogOffset: Int64(index), bornTimestamp: 1,
                bornHost: HostAddress(ip: [127, 0, 0, 1], port: 1), storeTimestamp: 2,
                storeHost: HostAddress(ip: [127, 0, 0, 1], port: 2), storedBody: [UInt8(index % 256)], topic: "T",
                propertiesText: MessageProperties.encode([(key: "UNIQ_KEY", value: "ID\(index)")]))
            return ConsumedMessage(
                handle: DeliveryHandle(rawValue: UInt64(index)), message: stored, brokerName: "b",
                namespace: Namespace(name: nil), consumerGroup: "G", subscriptionExpression: "*")
        }
    }

    func testMessagesArriveInOrderAcrossBatches() async {
        let sequence = ConsumedMessages()
        let reader = Task {
            var ids: [String] = []
            for await message in sequence { ids.append(message.messageID) }
            return ids
        }
        for start in stride(from: 0, to: 1000, by: 100) {
            sequence.append(messages(start..<start + 100))
            sequence.append([])  // nothing to hand over: ignored
            await Task.yield()
        }
        sequence.finish()
        let ids = await reader.value
        XCTAssertEqual(ids, (0..<1000).map { "ID\($0)" })
    }

    func testWhatIsQueuedAtTheFinishIsStillReadAndLaterMessagesAreDropped() async {
        let sequence = ConsumedMessages()
        sequence.append(messages(0..<3))
        sequence.finish()
        sequence.append(messages(3..<4))
        var ids: [String] = []
        for await message in sequence { ids.append(message.messageID) }
        XCTAssertEqual(ids, ["ID0", "ID1", "ID2"])
    }

    func testACancelledReaderStopsWaiting() async {
        let sequence = ConsumedMessages()
        let started = expectation(description: "reader waiting")
        let reader = Task {
            var iterator = sequence.makeAsyncIterator()
            let first = await iterator.next()
            started.fulfill()
            return (first?.messageID, await iterator.next())
        }
        sequence.append(messages(0..<1))
        await fulfillment(of: [started], timeout: 60)
        reader.cancel()
        let (first, second) = await reader.value
        XCTAssertEqual(first, "ID0")
        XCTAssertNil(second, "cancellation ends the wait with nil, though the sequence never finished")
    }
}
