import Foundation
import TestSupport
import XCTest

/// Replays inputs through the fuzz targets (the `dapr-rocketmq-fuzz` program built without the
/// fuzzer): every kept reproducer in Tests/FuzzReproducers and the captured golden frames, whole
/// and cut short. A crash, trap or hang fails the test.
final class FuzzRegressionTests: XCTestCase {
    private var replay: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dapr-rocketmq-fuzz").path
    }

    private func run(_ target: String, _ files: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        guard !files.isEmpty else { return }
        let process = try ChildProcess(replay, [target] + files)
        XCTAssertTrue(process.waitForExit(timeout: 120), "\(target) hung", file: file, line: line)
        XCTAssertEqual(process.exitCode, 0, "\(target) crashed: \(process.standardError.suffix(2000))", file: file, line: line)
    }

    func testKeptReproducersAndGoldenFramesDecodeOrFailCleanly() throws {
        let folder = try TemporaryFolder()
        var inputs: [String: [String]] = [:]
        func write(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let path = folder.path + "/\(target)-\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            inputs[target, default: []].append(path)
        }
        for record in try GoldenCorpus.allRecords() {
            let frame = record.frame
            try write("remoting-frame", record.name, frame)
            try write("remoting-frame", record.name + "-cut", Array(frame.prefix(frame.count / 2)))
            if record.isResponse, record.code == 0, !record.body.isEmpty {
                if record.requestCode == 11 {
                    try write("stored-messages", record.name, record.body)
                    try write("stored-messages", record.name + "-cut", Array(record.body.dropLast(7)))
                }
                if record.requestCode == 105 { try write("route-json", record.name, record.body) }
            }
        }
        // An InvokeRequest{data:"hi", metadata:{k:v}, operation:"create"}, whole and cut short.
        let invoke: [UInt8] = [0x0a, 0x02, 0x68, 0x69, 0x12, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76, 0x1a, 0x06] + Array("create".utf8)
        try write("protobuf-requests", "invoke", invoke)
        try write("protobuf-requests", "invoke-cut", Array(invoke.prefix(9)))
        // An MQ HTTP consume answer, whole and cut short.
        let messages = Array(#"<Messages xmlns="http://mq.aliyuncs.com/doc/v1/"><Message><MessageId>i</MessageId><ReceiptHandle>h</ReceiptHandle><MessageBody>a &amp; b<![CDATA[<c>]]></MessageBody><PublishTime>1</PublishTime><NextConsumeTime>2</NextConsumeTime></Message></Messages>"#.utf8)
        try write("mq-http-xml", "messages", messages)
        try write("mq-http-xml", "messages-cut", Array(messages.prefix(messages.count / 2)))
        XCTAssertGreaterThan(inputs["stored-messages"]?.count ?? 0, 10)
        let reproducers = RepositoryPaths.root.appendingPathComponent("Tests/FuzzReproducers")
        for target in ["remoting-frame", "stored-messages", "route-json", "protobuf-requests", "mq-http-xml"] {
            let kept = (try? FileManager.default.contentsOfDirectory(atPath: reproducers.appendingPathComponent(target).path)) ?? []
            inputs[target, default: []] += kept.map { reproducers.appendingPathComponent(target).appendingPathComponent($0).path }
        }
        for (target, files) in inputs.sorted(by: { $0.key < $1.key }) {
            try run(target, files)
        }
    }
}
