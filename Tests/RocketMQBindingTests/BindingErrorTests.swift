import DaprComponents
import RocketMQClient
import RocketMQHTTP
import RocketMQWire
@testable import RocketMQBinding
import XCTest

/// The one mapping from client errors to gRPC statuses (`componentError`, then
/// `ComponentError.statusName`): every kind of failure lands on the status the error table of the
/// README promises, and the message names what was being done.
final class BindingErrorTests: XCTestCase {
    private func status(_ error: Error) -> String {
        componentError(error, "sending to topic orders").statusName
    }

    func testEachRemotingErrorBecomesItsStatus() {
        let expected: [(RocketMQError, String)] = [
            (.invalidArgument("body empty"), "INVALID_ARGUMENT"),
            (.topicNotFound(topic: "orders", remark: nil), "NOT_FOUND"),
            (.noPermission(remark: nil), "PERMISSION_DENIED"),
            (.timeout("send"), "DEADLINE_EXCEEDED"),
            (.unreachable(address: "127.0.0.1:9876", reason: "refused"), "UNAVAILABLE"),
            (.connectionClosed(address: "127.0.0.1:10911"), "UNAVAILABLE"),
            (.protocolViolation("bad frame"), "UNAVAILABLE"),
            (.notRunning, "FAILED_PRECONDITION"),
            (.offsetFile(path: "/state/offsets.json", reason: "not JSON"), "FAILED_PRECONDITION"),
            (.broker(code: .systemError, remark: "org.apache.rocketmq.acl.common.AclException: Check signature failed"), "PERMISSION_DENIED"),
            (.broker(code: .systemError, remark: "store error"), "UNAVAILABLE"),
            (.broker(code: .serviceNotAvailable, remark: nil), "UNAVAILABLE"),
            (.broker(code: .systemBusy, remark: nil), "RESOURCE_EXHAUSTED"),
            (.broker(code: .flowControl, remark: nil), "RESOURCE_EXHAUSTED"),
            (.broker(code: .messageIllegal, remark: nil), "INVALID_ARGUMENT"),
            (.broker(code: .noPermission, remark: nil), "PERMISSION_DENIED"),
            (.broker(code: .topicNotExist, remark: nil), "NOT_FOUND"),
            (.broker(code: .subscriptionNotExist, remark: nil), "FAILED_PRECONDITION"),
            (.broker(code: .subscriptionParseFailed, remark: nil), "FAILED_PRECONDITION"),
            (.broker(code: .pullNotFound, remark: nil), "INTERNAL"),
        ]
        for (error, code) in expected {
            XCTAssertEqual(status(error), code, "\(error)")
        }
    }

    func testEachHTTPAccessErrorBecomesItsStatus() {
        let expected: [(MQHTTPError, String)] = [
            (.invalidEndpoint("ftp://x"), "INVALID_ARGUMENT"),
            (.invalidMessage("not UTF-8"), "INVALID_ARGUMENT"),
            (.transport("connection refused"), "UNAVAILABLE"),
            (.malformedResponse(status: 200, detail: "not XML"), "UNAVAILABLE"),
            (.service(status: 404, code: "TopicNotExist", message: "", requestID: nil), "NOT_FOUND"),
            (.service(status: 400, code: "QpsLimitExceeded", message: "", requestID: nil), "RESOURCE_EXHAUSTED"),
            (.service(status: 400, code: "InvalidDateHeader", message: "", requestID: nil), "FAILED_PRECONDITION"),
            (.service(status: 503, code: "ServiceUnavailable", message: "", requestID: nil), "UNAVAILABLE"),
            (.service(status: 400, code: "InvalidArgument", message: "", requestID: nil), "INVALID_ARGUMENT"),
        ]
        for (error, code) in expected {
            XCTAssertEqual(status(error), code, "\(error)")
        }
    }

    func testOtherErrorsKeepTheirContextAndAComponentErrorPassesThrough() {
        let passed = ComponentError(.permissionDenied, "refused")
        XCTAssertEqual(componentError(passed, "ignored"), passed)
        XCTAssertEqual(status(CancellationError()), "UNAVAILABLE")
        struct Unexpected: Error {}
        let bug = componentError(Unexpected(), "sending to topic orders")
        XCTAssertEqual(bug.statusName, "INTERNAL")
        XCTAssertTrue(bug.message.hasPrefix("sending to topic orders: "), bug.message)
        XCTAssertTrue(componentError(RocketMQError.timeout("send"), "sending to topic orders").message.contains("sending to topic orders"))
    }
}
