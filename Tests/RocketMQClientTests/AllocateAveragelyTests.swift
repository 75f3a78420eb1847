import XCTest
@testable import RocketMQClient

final class AllocateAveragelyTests: XCTestCase {
    func testEightQueuesThreeConsumersSplitThreeThreeTwo() {
        let queues = Array(0..<8)
        let ids = ["c", "a", "b"]
        XCTAssertEqual(AllocateAveragely.allocate(queues: queues, clientIDs: ids, currentClientID: "a"), [0, 1, 2])
        XCTAssertEqual(AllocateAveragely.allocate(queues: queues, clientIDs: ids, currentClientID: "b"), [3, 4, 5])
        XCTAssertEqual(AllocateAveragely.allocate(queues: queues, clientIDs: ids, currentClientID: "c"), [6, 7])
    }

    func testMoreConsumersThanQueuesLeavesTheLastOnesIdle() {
        let ids = ["a", "b", "c", "d", "e"]
        let all = ids.map { AllocateAveragely.allocate(queues: [0, 1, 2], clientIDs: ids, currentClientID: $0) }
        XCTAssertEqual(all, [[0], [1], [2], [], []])
    }

    func testUnknownClientOwnsNothing() {
        XCTAssertEqual(AllocateAveragely.allocate(queues: [0, 1], clientIDs: ["a"], currentClientID: "z"), [])
    }

    func testEveryQueueIsOwnedExactlyOnceForManyShapes() {
        for queueCount in 1...17 {
            for clientCount in 1...7 {
                let ids = (0..<clientCount).map { "10.0.0.\($0)@\($0)" }
                let queues = Array(0..<queueCount).shuffled()
                let owned = ids.flatMap {
                    AllocateAveragely.allocate(queues: queues, clientIDs: ids.shuffled(), currentClientID: $0)
                }
                XCTAssertEqual(owned.sorted(), Array(0..<queueCount), "\(queueCount) queues, \(clientCount) clients")
            }
        }
    }
}

final class RebalanceStateTests: XCTestCase {
    func testAJoiningMemberTakesQueuesAwayAndALeavingOneGivesThemBack() {
        var state = RebalanceState<Int>(clientID: "a")
        XCTAssertEqual(state.rebalance(topic: "T", queues: [0, 1, 2, 3], clientIDs: ["a"]),
                       .change(added: [0, 1, 2, 3], removed: []))
        XCTAssertEqual(state.rebalance(topic: "T", queues: [0, 1, 2, 3], clientIDs: ["a"]), .none)
        XCTAssertEqual(state.rebalance(topic: "T", queues: [0, 1, 2, 3], clientIDs: ["a", "b"]),
                       .change(added: [], removed: [2, 3]))
        XCTAssertEqual(state.ownedQueues, [0, 1])
        XCTAssertEqual(state.rebalance(topic: "T", queues: [0, 1, 2, 3], clientIDs: ["a"]),
                       .change(added: [2, 3], removed: []))
        XCTAssertEqual(state.release(topic: "T"), .change(added: [], removed: [0, 1, 2, 3]))
        XCTAssertTrue(state.ownedQueues.isEmpty)
    }

    func testForgottenQueueIsAddedAgainOnTheNextRebalance() {
        var state = RebalanceState<Int>(clientID: "a")
        _ = state.takeAll(topic: "T", queues: [0, 1])
        XCTAssertTrue(state.forget(topic: "T", queue: 1))
        XCTAssertEqual(state.takeAll(topic: "T", queues: [0, 1]), .change(added: [1], removed: []))
    }
}
