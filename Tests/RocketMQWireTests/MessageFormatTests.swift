import TestSupport
import NIOCore
import RocketMQWire
import XCTest

final class MessageFormatTests: XCTestCase {
    /// docs/protocol-remoting.md §10.5: one stored message, 194 bytes.
    static let section10_5 = [
        "000000c2",
        "daa320a7",
        "6241472a",
        "00000000",
        "00000000",
        "0000000000000000",
        "0000000000000000",
        "00000000",
        "000001a20ebe4bef",
        "7f000001",
        "0000e7fe",
        "000001a20ebe4c00",
        "7f000001",
        "000051af",
        "00000000",
        "0000000000000000",
        "00000007",
        "68656c6c6f2d31",
        "0b",
        "566572696679546f706963",
        "0055",
        "4b455953016b31206b3202554e49515f4b455901374630303030303131323334303030303030303030303030303030313030303102434c55535445520144656661756c74436c757374657202544147530154616741"
    ].joined()

    func testSection10_5MessageDecodesAndReencodes() throws {
        let bytes = hexBytes(Self.section10_5)
        XCTAssertEqual(bytes.count, 194)
        let messages = try StoredMessageDecoder.decodeAll(bytes)
        XCTAssertEqual(messages.count, 1)
        let m = try XCTUnwrap(messages.first)
        XCTAssertEqual(m.topic, "VerifyTopic")
        XCTAssertEqual(m.body, Array("hello-1".utf8))
        XCTAssertEqual(m.bodyCRC, 0x6241472A)
        XCTAssertEqual(Compression.bodyCRC(Array("hello-1".utf8)), 0x6241472A)
        XCTAssertEqual(m.bornHost.description, "127.0.0.1:59390")
        XCTAssertEqual(m.storeHost.description, "127.0.0.1:20911")
        XCTAssertEqual(m.keys, "k1 k2")
        XCTAssertEqual(m.tags, "TagA")
        XCTAssertEqual(m.properties["CLUSTER"], "DefaultCluster")
        XCTAssertEqual(m.offsetMsgId, "7F000001000051AF0000000000000000")
        XCTAssertEqual(m.msgId, m.properties["UNIQ_KEY"])
        XCTAssertEqual(try StoredMessageEncoder.encode(m), bytes)
    }

    func testIPv6HostsSetTheSysFlagBitsAndRoundTrip() throws {
        let v6 = HostAddress(ip: [0xFD] + Array(repeating: 0, count: 14) + [2], port: 10911)
        let message = StoredMessage(queueId: 1, queueOffset: 5, commitLogOffset: 1234, bornTimestamp: 1, bornHost: v6,
                                    storeTimestamp: 2, storeHost: v6, storedBody: [1, 2, 3], topic: "T", propertiesText: "")
        let bytes = try StoredMessageEncoder.encode(message)
        XCTAssertEqual(bytes.count, 84 + 24 + 4 + 3 + 1 + 1 + 2)
        let decoded = try XCTUnwrap(try StoredMessageDecoder.decodeAll(bytes).first)
        XCTAssertEqual(decoded.sysFlag, MessageSysFlag.bornHostV6 | MessageSysFlag.storeHostV6)
        XCTAssertEqual(decoded.storeHost, v6)
        XCTAssertEqual(decoded.offsetMsgId.count, 56)
        XCTAssertEqual(decoded.msgId, decoded.offsetMsgId, "no UNIQ_KEY: offsetMsgId")
        XCTAssertEqual(decoded.storeHost.description, "[fd00:0:0:0:0:0:0:2]:10911")
        let (host, offset) = try MessageID.decodeOffsetMessageID(decoded.offsetMsgId)
        XCTAssertEqual(host, v6)
        XCTAssertEqual(offset, 1234)
    }

    func testBlankMagicEndsTheListAndUnknownMagicIsTyped() throws {
        var bytes = hexBytes(Self.section10_5)
        var blank = ByteBuffer()
        blank.writeInteger(Int32(8))
        blank.writeInteger(StoredMessage.blankMagicCode)
        bytes += Array(blank.readableBytesView)
        XCTAssertEqual(try StoredMessageDecoder.decodeAll(bytes).count, 1)
        var bad = hexBytes(Self.section10_5)
        bad[4] = 0
        XCTAssertThrowsError(try StoredMessageDecoder.decodeAll(bad)) {
            guard case .unknownMagicCode(0, _) = $0 as? StoredMessageDecodingError else { return XCTFail("\($0)") }
        }
    }

    func testHostileStoredBodiesFailTypedWithoutTrapping() throws {
        var rng = SeededGenerator(seed: 7)
        let good = hexBytes(Self.section10_5)
        var failures = 0
        for i in 0..<3000 {
            var bytes = good
            if i % 3 == 0 {
                bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if i % 3 == 2 { bytes.removeLast(Int.random(in: 1...50, using: &rng)) }
            }
            do {
                _ = try StoredMessageDecoder.decodeAll(bytes, maxDecompressedBodySize: 1 << 16)
            } catch {
                XCTAssertTrue(error is StoredMessageDecodingError, "\(error)")
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 1000)
    }

    func testCompressedBombIsBoundedByTheLimit() throws {
        let bomb = try Compression.deflate([UInt8](repeating: 0, count: 1 << 20))
        XCTAssertLessThan(bomb.count, 5000)
        XCTAssertThrowsError(try Compression.inflate(bomb, limit: 1 << 16)) {
            XCTAssertEqual($0 as? Compression.Failure, .outputLimitExceeded(limit: 1 << 16))
        }
        XCTAssertThrowsError(try Compression.inflate(Array(bomb.prefix(20)), limit: 1 << 22)) {
            guard case .zlib = $0 as? Compression.Failure else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Compression.inflate([1, 2, 3, 4], limit: 100))
        XCTAssertEqual(try Compression.inflate(try Compression.deflate([]), limit: 0), [])
    }

    /// zlib streams are reused: a stream's earlier input, level or failure must not show in a later
    /// output, and concurrent callers must each get their own stream.
    func testReusedZlibStreamsGiveTheSameBytesEveryTime() async throws {
        var rng = SeededGenerator(seed: 7)
        let inputs: [[UInt8]] = [
            Array("hello rocketmq ".utf8) + (0..<20_000).map { _ in UInt8.random(in: 97...100, using: &rng) },
            [UInt8](repeating: UInt8(ascii: "x"), count: 16_384),
            [],
        ]
        let first = try inputs.map { try Compression.deflate($0) }
        let otherLevel = try Compression.deflate(inputs[0], level: 9)
        XCTAssertEqual(Array(otherLevel.prefix(2)), [0x78, 0xDA], "zlib level 9 header")
        XCTAssertNotEqual(otherLevel, first[0])
        for _ in 0..<3 {
            XCTAssertEqual(try inputs.reversed().map { try Compression.deflate($0) }, first.reversed())
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for task in 0..<16 {
                group.addTask {
                    let input = inputs[task % inputs.count]
                    let output = try Compression.deflate(input)
                    XCTAssertEqual(try Compression.inflate(output, limit: input.count), input)
                    return (task, output)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (task, output) in outputs {
            XCTAssertEqual(output, first[task % inputs.count])
        }
        // Inflates that failed (truncated input, output over the limit) leave nothing behind.
        XCTAssertThrowsError(try Compression.inflate(Array(first[0].prefix(30)), limit: 1 << 20))
        XCTAssertThrowsError(try Compression.inflate(first[1], limit: 100))
        for _ in 0..<3 {
            for (input, output) in zip(inputs, first) {
                XCTAssertEqual(try Compression.inflate(output, limit: input.count), input)
            }
        }
    }

    func testPropertiesEncodeJavaStyleAndDecodeTolerantly() {
        XCTAssertEqual(MessageProperties.encode([(key: "KEYS", value: "k1 k2"), (key: "WAIT", value: "true"), (key: "TAGS", value: "TagA")]),
                       "KEYS\u{1}k1 k2\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA")
        XCTAssertEqual(MessageProperties.decode("A\u{1}x\u{2}B\u{1}y\u{2}"), ["A": "x", "B": "y"])
        XCTAssertEqual(MessageProperties.decode("\u{1}x\u{2}B\u{1}\u{2}ab\u{2}C\u{1}z"), ["C": "z"])
        XCTAssertEqual(MessageProperties.decode(""), [:])
        XCTAssertEqual(MessageProperties.decode("K\u{1}v\u{301}\u{2}é\u{1}ü"), ["K": "v\u{301}", "é": "ü"], "split on the separators, not on graphemes")
    }

    func testOnePropertyIsFoundWithoutDecodingTheOthers() {
        let text = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}\u{1}x\u{2}TAGS\u{1}TagB\u{2}"
        XCTAssertEqual(MessageProperties.value(of: "TAGS", in: text), "TagB", "the last value of a repeated key, as decode keeps")
        XCTAssertEqual(MessageProperties.value(of: "KEYS", in: text), "k1 k2")
        XCTAssertNil(MessageProperties.value(of: "TAG", in: text))
        XCTAssertNil(MessageProperties.value(of: "", in: text), "an item with an empty key is skipped")
        for key in ["TAGS", "KEYS", "UNIQ_KEY"] {
            XCTAssertEqual(MessageProperties.value(of: key, in: text), MessageProperties.decode(text)[key])
        }
    }

    func testUniqueKeysFollowTheJavaLayout() {
        var generator = MessageID.UniqueKeyGenerator(ip: [127, 0, 0, 1], pid: 0x1_2345, discriminator: 0x0A0B_0C0D)
        // 2026-11-25T00:00:01Z; the month started 2026-11-01T00:00:00Z.
        let now: Int64 = 1_795_564_801_000
        let first = generator.next(nowMillis: now)
        let second = generator.next(nowMillis: now)
        XCTAssertEqual(first.count, 32)
        XCTAssertEqual(first, first.uppercased())
        XCTAssertTrue(first.hasPrefix("7F00000123450A0B0C0D"))
        let monthOffset = (24 * 86_400 + 1) * 1000
        XCTAssertEqual(String(first.dropFirst(20).prefix(8)), String(format8(monthOffset)))
        XCTAssertEqual(first.suffix(4), "0000")
        XCTAssertEqual(second.suffix(4), "0001")
    }

    private func format8(_ value: Int) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    func testOffsetMessageIdsAreUppercaseAndValidated() throws {
        let id = MessageID.offsetMessageID(storeHost: HostAddress(ip: [127, 0, 0, 1], port: 20911), commitLogOffset: 194)
        XCTAssertEqual(id, "7F000001000051AF00000000000000C2")
        XCTAssertThrowsError(try MessageID.decodeOffsetMessageID("ABC"))
        XCTAssertThrowsError(try MessageID.decodeOffsetMessageID(String(repeating: "Z", count: 32)))
    }

    func testBatchRoundTripsAndRejectsTruncation() throws {
        let batch = [BatchMessage(body: Array("one".utf8), propertiesText: "TAGS\u{1}a"), BatchMessage(flag: 3, body: [], propertiesText: "")]
        let bytes = try MessageBatch.encode(batch)
        XCTAssertEqual(try MessageBatch.decode(bytes), batch)
        XCTAssertThrowsError(try MessageBatch.decode(Array(bytes.dropLast())))
    }
}
