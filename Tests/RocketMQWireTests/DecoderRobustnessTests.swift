import TestSupport
import NIOCore
import RocketMQWire
import XCTest

/// Hostile input never traps, never allocates the claimed size and always fails with a typed error.
final class DecoderRobustnessTests: XCTestCase {
    private func frame(length: UInt32, word2: UInt32, rest: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(length)
        buffer.writeInteger(word2)
        buffer.writeBytes(rest)
        return buffer
    }

    func testOversizeLengthIsRejectedBeforeTheBytesArrive() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(16_777_213))  // + 4 = 16 MiB + 1
        XCTAssertThrowsError(try RemotingCommand.decodeFrame(from: &buffer)) { error in
            XCTAssertEqual(error as? RemotingDecodingError, .frameTooLarge(length: 16_777_213, maximum: 16_777_216))
        }
        var max = ByteBuffer()
        max.writeInteger(UInt32.max)
        XCTAssertThrowsError(try RemotingCommand.decodeFrame(from: &max))
    }

    func testLengthAtTheLimitWaitsForMoreData() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(16_777_212))  // + 4 = exactly 16 MiB
        buffer.writeInteger(UInt32(0))
        XCTAssertNil(try RemotingCommand.decodeFrame(from: &buffer))
        XCTAssertEqual(buffer.readableBytes, 8, "nothing consumed while incomplete")
    }

    func testTooShortLengthAndHeaderLengthBeyondFrameAreTyped() {
        var short = frame(length: 3, word2: 0, rest: [])
        XCTAssertThrowsError(try RemotingCommand.decodeFrame(from: &short)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .frameTooShort(length: 3))
        }
        var beyond = frame(length: 10, word2: 0x0100_0010, rest: Array(repeating: 0, count: 6))
        XCTAssertThrowsError(try RemotingCommand.decodeFrame(from: &beyond)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .headerLengthExceedsFrame(headerLength: 16, frameLength: 10))
        }
        var badType = frame(length: 4, word2: 0x0200_0000, rest: [])
        XCTAssertThrowsError(try RemotingCommand.decodeFrame(from: &badType)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .unknownSerializeType(2))
        }
    }

    func testBinaryRemarkAndExtLengthsMustStayInsideTheHeader() {
        // 21-byte fixed part claiming a 1 GiB remark.
        var header = ByteBuffer()
        header.writeInteger(Int16(10)); header.writeInteger(UInt8(0)); header.writeInteger(Int16(409))
        header.writeInteger(Int32(1)); header.writeInteger(Int32(0)); header.writeInteger(Int32(1 << 30))
        header.writeInteger(Int32(0))
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(header.readableBytesView), serializeType: .rocketmq)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .remarkLengthOutOfBounds(1 << 30))
        }
        var negative = ByteBuffer()
        negative.writeInteger(Int16(10)); negative.writeInteger(UInt8(0)); negative.writeInteger(Int16(409))
        negative.writeInteger(Int32(1)); negative.writeInteger(Int32(0)); negative.writeInteger(Int32(0))
        negative.writeInteger(Int32(-5))
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(negative.readableBytesView), serializeType: .rocketmq)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .extFieldsLengthOutOfBounds(-5))
        }
        var entry = ByteBuffer()
        entry.writeInteger(Int16(10)); entry.writeInteger(UInt8(0)); entry.writeInteger(Int16(409))
        entry.writeInteger(Int32(1)); entry.writeInteger(Int32(0)); entry.writeInteger(Int32(0))
        entry.writeInteger(Int32(9)); entry.writeInteger(Int16(1)); entry.writeBytes([0x61]); entry.writeInteger(Int32(100_000)); entry.writeBytes([0x62, 0x63])
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(entry.readableBytesView), serializeType: .rocketmq)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .extFieldEntryOutOfBounds(offset: 0))
        }
    }

    func testDeeplyNestedJSONHeaderFailsWithoutExhaustingTheStack() {
        let header = Array(repeating: UInt8(ascii: "["), count: 100_000)
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(header, serializeType: .json)) {
            guard case .invalidJSONHeader = $0 as? RemotingDecodingError else {
                return XCTFail("unexpected \($0)")
            }
        }
        XCTAssertThrowsError(try RemotingCommand.decodeHeader(Array(#"{"flag":1}"#.utf8), serializeType: .json)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .invalidJSONHeaderField("code"))
        }
    }

    func testRandomBytesNeverTrapAndFailTyped() {
        var rng = SeededGenerator(seed: 0x5EED)
        var thrown = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 0...96, using: &rng)
            var buffer = ByteBuffer(bytes: rng.bytes(count))
            do {
                while let _ = try RemotingCommand.decodeFrame(from: &buffer) {}
            } catch {
                XCTAssertTrue(error is RemotingDecodingError, "\(error)")
                thrown += 1
            }
        }
        XCTAssertGreaterThan(thrown, 0)
    }

    func testMutatedGoldenFramesNeverTrapAndFailTyped() throws {
        var rng = SeededGenerator(seed: 42)
        let frames = try GoldenCorpus.allRecords().map(\.frame).filter { $0.count < 4096 }
        var decoded = 0
        var failed = 0
        for _ in 0..<3000 {
            guard var bytes = frames.randomElement(using: &rng) else { return XCTFail("no frames") }
            let mutations = Int.random(in: 1...4, using: &rng)
            for _ in 0..<mutations where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.removeSubrange(at...)
                default: bytes[at] ^= 0x80
                }
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                if try RemotingCommand.decodeFrame(from: &buffer) != nil { decoded += 1 }
            } catch {
                XCTAssertTrue(error is RemotingDecodingError, "\(error)")
                failed += 1
            }
        }
        XCTAssertGreaterThan(failed, 0)
        XCTAssertGreaterThan(decoded, 0)
    }

    func testTruncatedFramesAskForMoreDataWithoutConsuming() throws {
        for record in try GoldenCorpus.records("rocketmq-serialize.jsonl") {
            let bytes = record.frame
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 7)) {
                var buffer = ByteBuffer(bytes: bytes[..<cut])
                XCTAssertNil(try RemotingCommand.decodeFrame(from: &buffer), record.name)
                XCTAssertEqual(buffer.readableBytes, cut)
            }
        }
    }

    func testUnencodableCommandsThrowTypedErrors() {
        let big = RemotingCommand(code: 40_000, serializeType: .rocketmq)
        XCTAssertThrowsError(try big.encodedFrame()) {
            XCTAssertEqual($0 as? RemotingEncodingError, .valueOutOfInt16Range(field: "code", value: 40_000))
        }
        let huge = RemotingCommand(code: 10, body: [UInt8](repeating: 0, count: 16_777_216))
        XCTAssertThrowsError(try huge.encodedFrame()) {
            guard case .frameTooLarge = $0 as? RemotingEncodingError else { return XCTFail("\($0)") }
        }
    }
}
