import Foundation
@testable import RocketMQBinding
import XCTest

/// The `create` answer is written by the binding's own small JSON writer: standard JSON that any
/// parser reads back to the same strings, whatever they hold.
final class CreateResponseJSONTests: XCTestCase {
    func testEscapesFollowJSONAndEverythingElseIsRawUTF8() {
        let response = CreateRequest.response([["k\\": "a\"b\\c\u{8}\t\n\u{C}\r\u{1}\u{2}\u{1F}\u{7F}/é中🙂"]])
        XCTAssertEqual(
            String(decoding: response.data, as: UTF8.self),
            #"[{"k\\":"a\"b\\c\b\t\n\f\r\u0001\u0002\u001F\u007F/é中🙂"}]"#)
    }

    func testAnyParserReadsTheAnswerBackToTheSameStrings() throws {
        let described: [[String: String]] = [
            ["msgId": "7F00000100002A9F0000000000000000", "topic": "orders", "note": "line\nbreak \"quoted\" \u{0} \u{7F} ünïcödé"],
            ["": "empty key", "z": ""],
        ]
        let parsed = try JSONSerialization.jsonObject(with: Data(CreateRequest.response(described).data)) as? [[String: String]]
        XCTAssertEqual(parsed, described)
    }
}
