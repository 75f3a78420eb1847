import TestSupport
import NIOCore
import RocketMQWire
import XCTest

/// Every captured frame decodes to the recorded header and body and re-encodes to the same bytes.
final class GoldenFrameTests: XCTestCase {
    func testTheCorpusIsPresentAndComplete() throws {
        let files = try GoldenCorpus.fileNames()
        XCTAssertEqual(files.count, 11, "golden files: \(files)")
        XCTAssertGreaterThan(try GoldenCorpus.allRecords().count, 1000)
    }

    func testEveryFrameDecodesToTheRecordedHeaderAndBody() throws {
        var decoded = 0
        for record in try GoldenCorpus.allRecords() {
            let command = try RemotingCommand.decode(frame: record.frame)
            let header = record.header
            XCTAssertEqual(command.serializeType, record.serialize == "JSON" ? .json : .rocketmq, record.name)
            XCTAssertEqual(Int(command.code), header["code"] as? Int, record.name)
            XCTAssertEqual(command.language.name, header["language"] as? String, record.name)
            XCTAssertEqual(Int(command.version), header["version"] as? Int, record.name)
            XCTAssertEqual(Int(command.opaque), header["opaque"] as? Int, record.name)
            XCTAssertEqual(Int(command.flag), header["flag"] as? Int, record.name)
            XCTAssertEqual(command.remark, header["remark"] as? String, record.name)
            XCTAssertEqual(command.extFields, record.extFields, record.name)
            XCTAssertEqual(command.body, record.body, record.name)
            XCTAssertEqual(command.isResponse, record.isResponse, record.name)
            XCTAssertEqual(command.isOneway, record.fields["oneway"] as? Bool, record.name)
            if let order = record.fields["header_ext_order"] as? [String] {
                XCTAssertEqual(command.extFieldsOrder, order, record.name)
            }
            if let delivered = record.deliveredFrame {
                let deliveredCommand = try RemotingCommand.decode(frame: delivered)
                XCTAssertEqual(deliveredCommand.body, record.deliveredBody, record.name)
            }
            decoded += 1
        }
        XCTAssertEqual(decoded, 1084)
    }

    func testEveryFrameReencodesToTheCapturedBytes() throws {
        var json = 0
        var binary = 0
        for record in try GoldenCorpus.allRecords() {
            let command = try RemotingCommand.decode(frame: record.frame)
            let reencoded = try command.encodedFrame()
            XCTAssertEqual(hexString(reencoded), hexString(record.frame), record.name)
            if command.serializeType == .json { json += 1 } else { binary += 1 }
        }
        XCTAssertEqual(binary, 34)
        XCTAssertEqual(json, 1050)
    }

    func testJSONHeaderTextMatchesTheRecordedText() throws {
        for record in try GoldenCorpus.allRecords() where record.serialize == "JSON" {
            let command = try RemotingCommand.decode(frame: record.frame)
            let text = String(decoding: try command.encodedHeader(), as: UTF8.self)
            XCTAssertEqual(text, record.fields["header_text"] as? String, record.name)
        }
    }

    func testRecordedCodeNamesMatchTheCodeTables() throws {
        for record in try GoldenCorpus.allRecords() {
            let command = try RemotingCommand.decode(frame: record.frame)
            let name = record.fields["code_name"] as? String
            if command.isResponse {
                XCTAssertEqual(command.responseCode.name, name, record.name)
                if let requestCode = record.requestCode {
                    XCTAssertNotNil(RequestCode(Int32(requestCode)).name, record.name)
                }
            } else {
                XCTAssertEqual(command.requestCode.name, name, record.name)
            }
        }
    }
}
