import Foundation
import XCTest

/// The frames captured from a real RocketMQ 4.9.8 name server and broker (`Tests/Golden/rocketmq-4.9.8`
/// in this repository, found relative to this source file, never by a machine path).
public enum GoldenCorpus {
    public static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/TestSupport/GoldenCorpus.swift -> Tests
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Golden/rocketmq-4.9.8")
    }()

    public struct Record {
        public let file: String
        public let fields: [String: Any]

        public var seq: Int { fields["seq"] as? Int ?? -1 }
        public var name: String { "\(file)#\(seq)" }
        public var header: [String: Any] { fields["header"] as? [String: Any] ?? [:] }
        public var frame: [UInt8] { hexBytes(fields["frame_hex"] as? String ?? "") }
        public var body: [UInt8] { hexBytes(fields["body_hex"] as? String ?? "") }
        public var deliveredFrame: [UInt8]? { (fields["delivered_frame_hex"] as? String).map(hexBytes) }
        public var deliveredBody: [UInt8]? { (fields["delivered_body_hex"] as? String).map(hexBytes) }
        public var code: Int { header["code"] as? Int ?? -1 }
        public var isResponse: Bool { (fields["type"] as? String) == "response" }
        public var requestCode: Int? { fields["request_code"] as? Int }
        public var dir: String { fields["dir"] as? String ?? "" }
        public var serialize: String { fields["serialize"] as? String ?? "" }
        public var extFields: [String: String] {
            (header["extFields"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        }
    }

    public static func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".jsonl") }
            .sorted()
    }

    public static func records(_ file: String) throws -> [Record] {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let fields = object as? [String: Any] else { throw CocoaError(.fileReadCorruptFile) }
            return Record(file: file, fields: fields)
        }
    }

    public static func allRecords() throws -> [Record] {
        try fileNames().flatMap { try records($0) }
    }
}

public func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(hex.utf8.count / 2)
    var iterator = hex.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
        default: return 0
        }
    }
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(nibble(high) << 4 | nibble(low))
    }
    return bytes
}

public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return out
}
