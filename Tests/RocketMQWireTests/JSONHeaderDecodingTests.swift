import TestSupport
import RocketMQWire
import XCTest

/// The JSON header decoder reads members as it parses them. These tests hold it to what decoding
/// through a whole `JSONValue` tree gives (``treeDecode``, the decoder it replaced): the same
/// command, or the same error, for captured headers and for many generated and damaged ones.
final class JSONHeaderDecodingTests: XCTestCase {
    func testCapturedHeadersDecodeAsThroughATree() throws {
        var compared = 0
        for record in try GoldenCorpus.allRecords() where record.serialize == "JSON" {
            let frame = record.frame
            guard frame.count >= 8 else { continue }
            let headerLength = Int(frame[5]) << 16 | Int(frame[6]) << 8 | Int(frame[7])
            guard frame[4] == 0, 8 + headerLength <= frame.count else { continue }
            try assertSameOutcome(Array(frame[8..<(8 + headerLength)]), record.name)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 20)
    }

    func testGeneratedAndDamagedHeadersDecodeAsThroughATree() throws {
        var rng = SeededGenerator(seed: 0x4EAD)
        var decoded = 0
        var refused = 0
        for round in 0..<6000 {
            var text = Array(generatedHeader(using: &rng).utf8)
            if round % 3 == 0, !text.isEmpty {
                let at = Int.random(in: 0..<text.count, using: &rng)
                if Bool.random(using: &rng) {
                    text.removeSubrange(at...)
                } else {
                    text[at] = Array(#"{}[]:,"\ n0"#.utf8).randomElement(using: &rng)!
                }
            }
            if try assertSameOutcome(text, String(decoding: text, as: UTF8.self)) { decoded += 1 } else { refused += 1 }
        }
        // Both outcomes must be well represented, or the comparison proves little.
        XCTAssertGreaterThan(decoded, 1000)
        XCTAssertGreaterThan(refused, 1000)
    }

    func testRepeatedAndOddMembers() throws {
        let command = try RemotingCommand.decodeHeader(Array(#"""
            {"code":1,"code":2,"extFields":{"b":"1","a":2,"n":null,"b":"3","t":true},"extFields":7,"x":{"y":[1,{}]},\#
            "flag":1,"language":"RUST","opaque":5,"remark":null,"version":409}
            """#.utf8), serializeType: .json)
        XCTAssertEqual(command.code, 1)
        XCTAssertEqual(command.extFields, ["b": "3", "a": "2", "t": "true"])
        XCTAssertEqual(command.extFieldsOrder, ["b", "a", "t"])
        XCTAssertEqual(command.flag, 1)
        XCTAssertEqual(command.language, .rust)
        XCTAssertEqual(command.opaque, 5)
        XCTAssertNil(command.remark)
        XCTAssertEqual(command.version, 409)
        // A syntax error anywhere wins over a bad field before it; bad fields in a fixed order.
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(#"{"code":"x","flag":}"#.utf8), serializeType: .json)) {
            guard case .invalidJSONHeader(let reason) = $0 as? RemotingDecodingError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("byte 19"), reason)
        }
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(#"{"extFields":{"k":[1]},"remark":1,"code":1}"#.utf8), serializeType: .json)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .invalidJSONHeaderField("remark"))
        }
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(#"{"extFields":{"k":"v","j":[1],"i":{}},"code":1}"#.utf8), serializeType: .json)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .invalidJSONHeaderField("extFields.j"))
        }
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(#"[{"code":1}]"#.utf8), serializeType: .json)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .invalidJSONHeader("not an object"))
        }
    }

    /// True if the header decoded, false if both refused it alike.
    @discardableResult
    private func assertSameOutcome(_ header: [UInt8], _ name: String, line: UInt = #line) throws -> Bool {
        let expected = Result { try Self.treeDecode(header) }
        let actual = Result { try RemotingCommand.decodeHeader(header, serializeType: .json) }
        switch (expected, actual) {
        case (.success(let expected), .success(let actual)):
            XCTAssertEqual(actual, expected, name, line: line)
            XCTAssertEqual(actual.extFieldsOrder, expected.extFieldsOrder, name, line: line)
            XCTAssertEqual(actual.encodesEmptyExtFields, expected.encodesEmptyExtFields, name, line: line)
            return true
        case (.failure(let expected), .failure(let actual)):
            XCTAssertEqual(actual as? RemotingDecodingError, expected as? RemotingDecodingError, name, line: line)
            return false
        default:
            XCTFail("\(name): tree gives \(expected), decoder gives \(actual)", line: line)
            return false
        }
    }

    private func generatedHeader(using rng: inout SeededGenerator) -> String {
        let scalars = ["105", "-3", "0", "2147483648", "1.5", "\"12\"", "\"JAVA\"", "\"GO\"", "\"x\\u0041\\n\"", "null",
                       "true", "false", "[1,2]", "{\"a\":1}", "{}", "\"\""]
        let extFields = ["{}", "null", "{\"topic\":\"T\",\"queueId\":3,\"n\":null,\"topic\":\"U\"}",
                         "{\"a\":\"1\",\"b\":[2]}", "{\"k\":{\"x\":1},\"m\":\"v\"}", "{\"b\":true,\"a\":\"\\u0001\"}",
                         "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}",
                         "7", "\"s\""]
        let keys = ["code", "code", "code", "version", "opaque", "flag", "language", "remark", "extFields", "extFields",
                    "serializeTypeCurrentRPC", "other", "bare", "{\"o\":1}"]
        // Values that fit their member most of the time, so that many headers decode.
        let fitting = ["code": ["105", "\"12\""], "version": ["409", "null"], "opaque": ["7", "-1"], "flag": ["1", "\"0\""],
                       "language": ["\"JAVA\"", "\"RUST\"", "12"], "remark": ["\"r\"", "null"]]
        var members: [String] = Int.random(in: 0..<10, using: &rng) < 7 ? ["\"code\":11"] : []
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            let key = keys.randomElement(using: &rng)!
            let quotedKey = key == "bare" ? "bare" : key.hasPrefix("{") ? key : "\"\(key)\""
            let value = key == "extFields" ? extFields.randomElement(using: &rng)!
                : Int.random(in: 0..<10, using: &rng) < 7 ? (fitting[key] ?? scalars).randomElement(using: &rng)!
                : scalars.randomElement(using: &rng)!
            members.append("\(quotedKey):\(value)")
        }
        members.shuffle(using: &rng)
        switch Int.random(in: 0..<20, using: &rng) {
        case 0: return "[\(members.joined(separator: ","))]"
        case 1: return " {\(members.joined(separator: " , "))} x"
        default: return "{\(members.joined(separator: ","))}\(Bool.random(using: &rng) ? " " : "")"
        }
    }

    /// The decoder this one replaced: the whole header parsed into a `JSONValue`, then read.
    private static func treeDecode(_ header: [UInt8]) throws -> RemotingCommand {
        let value: JSONValue
        do {
            value = try JSONValue.parse(header, maxDepth: 8)
        } catch let error as JSONParseError {
            throw RemotingDecodingError.invalidJSONHeader(error.description)
        }
        guard case .object = value else { throw RemotingDecodingError.invalidJSONHeader("not an object") }
        func int32(_ key: String, required: Bool) throws -> Int32 {
            guard let member = value[key], member != .null else {
                if required { throw RemotingDecodingError.invalidJSONHeaderField(key) }
                return 0
            }
            guard let number = member.int32Value else { throw RemotingDecodingError.invalidJSONHeaderField(key) }
            return number
        }
        var command = RemotingCommand(code: try int32("code", required: true))
        command.version = try int32("version", required: false)
        command.opaque = try int32("opaque", required: false)
        command.flag = try int32("flag", required: false)
        switch value["language"] {
        case .string(let name)?: command.language = LanguageCode(name: name) ?? .other
        case .number(let text)?: command.language = UInt8(text).map { LanguageCode(code: $0) } ?? .other
        default: command.language = .java
        }
        switch value["remark"] {
        case .string(let remark)?: command.remark = remark
        case .null?, nil: command.remark = nil
        default: throw RemotingDecodingError.invalidJSONHeaderField("remark")
        }
        switch value["extFields"] {
        case .object(let members)?:
            var fields: [String: String] = [:]
            var order: [String] = []
            for member in members where member.value != .null {
                guard let text = member.value.scalarText else {
                    throw RemotingDecodingError.invalidJSONHeaderField("extFields.\(member.key)")
                }
                if fields.updateValue(text, forKey: member.key) == nil { order.append(member.key) }
            }
            command.extFields = fields
            command.extFieldsOrder = order
            command.encodesEmptyExtFields = fields.isEmpty
        case .null?, nil:
            break
        default:
            throw RemotingDecodingError.invalidJSONHeaderField("extFields")
        }
        command.serializeType = .json
        return command
    }
}
