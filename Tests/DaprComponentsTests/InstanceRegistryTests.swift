import XCTest
@testable import DaprComponents

/// `InstanceRegistry`: component instances of one direction by `x-component-instance`.
final class InstanceRegistryTests: XCTestCase {
    private final class Instance: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    func testInstancesAreKeptApartByNameAndReplacingReturnsTheOldOne() {
        let registry = InstanceRegistry<Instance>()
        XCTAssertNil(registry["orders"])
        let orders = Instance("orders"), payments = Instance("payments")
        XCTAssertNil(registry.replace("orders", with: orders))
        XCTAssertNil(registry.replace("payments", with: payments))
        XCTAssertTrue(registry["orders"] === orders)
        XCTAssertTrue(registry["payments"] === payments)

        let newOrders = Instance("orders")
        XCTAssertTrue(registry.replace("orders", with: newOrders) === orders)
        XCTAssertTrue(registry["orders"] === newOrders)
        XCTAssertTrue(registry["payments"] === payments, "replacing one instance touched another")

        XCTAssertTrue(registry.replace("orders", with: nil) === newOrders)
        XCTAssertNil(registry["orders"])
        XCTAssertTrue(registry["payments"] === payments)
    }

    func testRemoveTakesOnlyTheInstanceItWasAskedAbout() {
        let registry = InstanceRegistry<Instance>()
        let first = Instance("orders"), second = Instance("orders")
        _ = registry.replace("orders", with: first)
        // A stream of the first instance ends after a second Init replaced it: the new one stays.
        registry.remove("orders") { $0 === second }
        XCTAssertTrue(registry["orders"] === first)
        registry.remove("orders") { $0 === first }
        XCTAssertNil(registry["orders"])
        registry.remove("unknown") { _ in true }  // nothing there: nothing happens
    }

    func testRemoveAllEmptiesTheRegistryAndReturnsEveryInstance() {
        let registry = InstanceRegistry<Instance>()
        for name in ["a", "b", "c"] { _ = registry.replace(name, with: Instance(name)) }
        XCTAssertEqual(Set(registry.removeAll().map(\.name)), ["a", "b", "c"])
        XCTAssertNil(registry["a"])
        XCTAssertEqual(registry.removeAll().count, 0)
    }

    func testConcurrentReplacementsLoseNoInstance() async {
        let registry = InstanceRegistry<Instance>()
        let replaced = await withTaskGroup(of: Int.self) { group in
            for index in 0..<1000 {
                group.addTask { registry.replace("i\(index % 10)", with: Instance("\(index)")) == nil ? 0 : 1 }
            }
            return await group.reduce(0, +)
        }
        // 1000 puts into 10 names: every put but the first of each name replaced one.
        XCTAssertEqual(replaced, 990)
        XCTAssertEqual(registry.removeAll().count, 10)
    }
}
