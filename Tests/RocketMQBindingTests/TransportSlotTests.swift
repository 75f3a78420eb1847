import NIOConcurrencyHelpers
import XCTest
@testable import RocketMQBinding

/// `TransportSlot`: the transport of an initialised instance. Whoever swaps one out closes it, so
/// every transport put in must come out exactly once, however the swaps interleave.
final class TransportSlotTests: XCTestCase {
    func testASwapReturnsWhatWasThereAndNilEmptiesTheSlot() {
        let slot = TransportSlot<String>()
        XCTAssertNil(slot.current)
        XCTAssertNil(slot.swap("first"))
        XCTAssertEqual(slot.current, "first")
        XCTAssertEqual(slot.swap("second"), "first")
        XCTAssertEqual(slot.current, "second")
        XCTAssertEqual(slot.swap(nil), "second")
        XCTAssertNil(slot.current)
        XCTAssertNil(slot.swap(nil), "an empty slot gives nothing to close")
    }

    func testConcurrentSwapsHandEveryTransportOutExactlyOnce() async {
        let slot = TransportSlot<Int>()
        let swappedOut = NIOLockedValueBox<[Int]>([])
        await withTaskGroup(of: Void.self) { group in
            for value in 0..<2000 {
                group.addTask {
                    // Half the swaps put a transport in, the others empty the slot (a close racing an Init).
                    if let old = slot.swap(value.isMultiple(of: 2) ? value : nil) {
                        swappedOut.withLockedValue { $0.append(old) }
                    }
                }
            }
        }
        if let last = slot.swap(nil) { swappedOut.withLockedValue { $0.append(last) } }
        let out = swappedOut.withLockedValue { $0 }
        XCTAssertEqual(out.count, Set(out).count, "a transport was handed out twice (closed twice)")
        XCTAssertEqual(Set(out), Set(stride(from: 0, to: 2000, by: 2)), "a transport was lost (never closed)")
    }
}
