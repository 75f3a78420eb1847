import Foundation
import XCTest

/// `subscriptionType: sql92` through the socket, as daprd drives the component: the broker
/// filters by the expression, and Init fails when the broker refuses the subscription.
extension BindingThroughSocketTests {
    private static let expression = "color IN ('red', 'green') AND amount > 100"

    /// One queue, so the broker scans the messages in the order they were published: once the
    /// last (matching) message has come, every earlier one has been filtered.
    private static let messages: [(body: String, metadata: [String: String])] = [
        ("red-200", ["color": "red", "amount": "200"]),
        ("red-50", ["color": "red", "amount": "50"]),
        ("blue-500", ["color": "blue", "amount": "500"]),
        ("no-properties", [:]),
        ("green-300", ["color": "green", "amount": "300"]),
        ("red-not-a-number", ["color": "red", "amount": "abc"]),
        ("red-999-last", ["color": "red", "amount": "999"]),
    ]

    func testASQL92SubscriptionDeliversExactlyTheMatchingMessagesWithTheSubType() async throws {
        try await start(propertyFilter: true)
        try await broker.createTopic("sql", queueNums: 1)
        let messages = Self.messages
        let result = try scenario("sql92", [
            "instance": "sql92",
            "properties": properties(["topics": "sql||\(Self.expression)", "rocketmq-sub-type": "SQL92", "consumerGroup": "sql-app"]),
            "messages": messages.map { ["body": $0.body, "metadata": $0.metadata] },
            "expect": 3,
        ])
        XCTAssertEqual(result["init"] as? [[String]], [["OK", ""], ["OK", ""]])
        let delivered = try XCTUnwrap(result["delivered"] as? [[String: Any]])
        XCTAssertEqual(delivered.compactMap { $0["body"] as? String }, ["red-200", "green-300", "red-999-last"])
        for metadata in delivered.compactMap({ $0["metadata"] as? [String: String] }) {
            XCTAssertEqual(metadata["rocketmq-sub-type"], "sql92")
            XCTAssertEqual(metadata["rocketmq-sub-expression"], Self.expression)
            XCTAssertEqual(metadata["topic"], "sql")
        }
        XCTAssertEqual((delivered.first?["metadata"] as? [String: String])?["amount"], "200", "the properties are delivered too")
        let stored = try await broker.messages(topic: "sql")
        XCTAssertEqual(stored.count, messages.count, "every message was published: the broker left the others out")
    }

    func testSQL92InitFailsWithTheBrokersRemarkWhenItCannotFilterOrCannotParse() async throws {
        try await start()  // enablePropertyFilter off, as a stock broker has it
        try await broker.createTopic("sql", queueNums: 1)
        let unsupported = try scenario("sql92", [
            "instance": "no-filter", "messages": [] as [Any], "expect": 0,
            "properties": properties(["topics": "sql||\(Self.expression)", "subscriptionType": "sql92"]),
        ])
        let refused = try XCTUnwrap(unsupported["init"] as? [[String]])
        XCTAssertEqual(refused.first, ["OK", ""], "the output side needs no filter")
        XCTAssertEqual(refused.last?.first, "FAILED_PRECONDITION")
        let message = refused.last?.last ?? ""
        XCTAssertTrue(message.contains("The broker does not support consumer to filter message by SQL92"), message)
        XCTAssertTrue(message.contains("subscriptionType") && message.contains("enablePropertyFilter"), message)
        await server.stop()
        try await broker.shutdown()

        try await start(propertyFilter: true)
        try await broker.createTopic("sql", queueNums: 1)
        let unparsable = try scenario("sql92", [
            "instance": "bad-expression", "messages": [] as [Any], "expect": 0,
            "properties": properties(["topics": "sql||color = = 'red'", "subscriptionType": "sql92"]),
        ])
        let invalid = try XCTUnwrap(unparsable["init"] as? [[String]])
        XCTAssertEqual(invalid.last?.first, "INVALID_ARGUMENT")
        let remark = invalid.last?.last ?? ""
        XCTAssertTrue(remark.contains(#"org.apache.rocketmq.filter.parser.ParseException: Encountered "=" at line 1, column 9."#), remark)
        XCTAssertTrue(remark.contains("field topics"), remark)
        let consumers = try await broker.consumerIDs(group: "orders-app")
        XCTAssertEqual(consumers, [], "the check at Init joins no group")
    }

    /// The `read` operation asks the broker too before its first pull: a real broker pulling with
    /// an expression it cannot compile lets every message through.
    func testTheReadOperationFiltersBySQL92AndIsRefusedWithTheBrokersRemark() async throws {
        try await start(propertyFilter: true)
        try await broker.createTopic("sql", queueNums: 1)
        let messages = Self.messages.map { ["body": $0.body, "metadata": $0.metadata] }
        let filtered = try scenario("sql92_read", [
            "instance": "sql92-read", "messages": messages,
            "properties": properties(["topics": "sql||\(Self.expression)", "subscriptionType": "sql92", "consumerGroup": "sql-read"]),
        ])
        XCTAssertEqual(filtered["read"] as? [String], ["OK", ""])
        XCTAssertEqual(filtered["bodies"] as? [String], ["red-200", "green-300", "red-999-last"])

        let unparsable = try scenario("sql92_read", [
            "instance": "sql92-read-bad", "messages": [] as [Any],
            "properties": properties(["topics": "sql||color = = 'red'", "subscriptionType": "sql92", "consumerGroup": "sql-read-bad"]),
        ])
        let invalid = try XCTUnwrap(unparsable["read"] as? [String])
        XCTAssertEqual(invalid.first, "INVALID_ARGUMENT")
        XCTAssertTrue(invalid.last?.contains("ParseException") == true, "\(invalid)")
        await server.stop()
        try await broker.shutdown()

        try await start()  // enablePropertyFilter off
        try await broker.createTopic("sql", queueNums: 1)
        let unsupported = try scenario("sql92_read", [
            "instance": "sql92-read-off", "messages": messages,
            "properties": properties(["topics": "sql||\(Self.expression)", "subscriptionType": "sql92", "consumerGroup": "sql-read-off"]),
        ])
        let refused = try XCTUnwrap(unsupported["read"] as? [String])
        XCTAssertEqual(refused.first, "FAILED_PRECONDITION")
        XCTAssertTrue(refused.last?.contains("does not support consumer to filter message by SQL92") == true, "\(refused)")
    }
}
