import DaprProto
import Foundation
import XCTest

final class ProtoMessageTests: XCTestCase {
    func testBindingMessagesRoundTrip() throws {
        let invoke = InvokeRequest(data: [0, 1, 2, 255], metadata: ["rocketmq-tag": "tagA", "traceparent": "00-abc"], operation: "create")
        XCTAssertEqual(try InvokeRequest(decoding: invoke.encoded()), invoke)
        let response = InvokeResponse(data: Array("[]".utf8), metadata: ["msgId": "X"], contentType: "application/json")
        XCTAssertEqual(try InvokeResponse(decoding: response.encoded()), response)
        let initRequest = BindingInitRequest(properties: ["topics": "a,b", "nameServer": "127.0.0.1:9876"])
        XCTAssertEqual(try BindingInitRequest(decoding: initRequest.encoded()), initRequest)
        let read = ReadResponse(data: Array("hello".utf8), metadata: ["topic": "t"], contentType: "text/plain", messageID: "id-1")
        XCTAssertEqual(try ReadResponse(decoding: read.encoded()), read)
        let ackOK = ReadRequest(responseData: [1], messageID: "id-1")
        XCTAssertEqual(try ReadRequest(decoding: ackOK.encoded()), ackOK)
        let ackFailed = ReadRequest(messageID: "id-2", responseError: "app failed")
        XCTAssertEqual(try ReadRequest(decoding: ackFailed.encoded()), ackFailed)
        let operations = ListOperationsResponse(operations: ["create", "read"])
        XCTAssertEqual(try ListOperationsResponse(decoding: operations.encoded()), operations)
        XCTAssertEqual(EmptyMessage().encoded(), [])
        XCTAssertNoThrow(try EmptyMessage(decoding: []))
    }

    func testMessagesLargerThanOneArenaBlockRoundTrip() throws {
        // Many entries fill several of the encoder's shared blocks; long values and the body get
        // allocations of their own; empty and non-ASCII strings are copied exactly.
        var metadata: [String: String] = ["": "empty key", "empty value": "", "ключ": "значение ✓"]
        for index in 0..<300 { metadata["key-\(index)"] = String(repeating: "v", count: index * 7) }
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let read = ReadResponse(data: body, metadata: metadata, contentType: "application/octet-stream", messageID: "m-\(UInt64.max)")
        XCTAssertEqual(try ReadResponse(decoding: read.encoded()), read)
        let invoke = InvokeRequest(data: body, metadata: metadata, operation: "create")
        XCTAssertEqual(try InvokeRequest(decoding: invoke.encoded()), invoke)
    }

    func testKnownWireBytesDecode() throws {
        // InvokeRequest{data:"hi", metadata:{"k":"v"}, operation:"create"} as encoded by protoc's reference encoder.
        let bytes: [UInt8] = [0x0a, 0x02, 0x68, 0x69, 0x12, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76, 0x1a, 0x06] + Array("create".utf8)
        XCTAssertEqual(try InvokeRequest(decoding: bytes), InvokeRequest(data: Array("hi".utf8), metadata: ["k": "v"], operation: "create"))
    }

    func testMalformedBytesAreRejectedNotTrusted() {
        let samples: [[UInt8]] = [
            [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],  // length far beyond the input
            [0x0a, 0x05, 0x01],                    // truncated bytes field
            [0x12, 0x03, 0x0a, 0x09, 0x01],        // map entry whose key overruns the entry
            [0xff],                                 // truncated key varint
        ]
        for sample in samples {
            XCTAssertThrowsError(try InvokeRequest(decoding: sample), "\(sample)")
        }
        // For ReadRequest, field 2 is a plain string, so the map sample is valid there.
        for sample in [samples[0], samples[1], samples[3]] {
            XCTAssertThrowsError(try ReadRequest(decoding: sample), "\(sample)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {  // random input: decoding either fails cleanly or yields a value
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? InvokeRequest(decoding: bytes)
            _ = try? ReadRequest(decoding: bytes)
            _ = try? ReflectionRequest(decoding: bytes)
        }
    }

    func testReflectionMessagesRoundTrip() throws {
        let request = ReflectionRequest(host: "h", kind: .fileContainingSymbol("dapr.proto.components.v1.InputBinding"))
        XCTAssertEqual(try ReflectionRequest(decoding: request.encoded()), request)
        for kind: ReflectionResponse.Kind in [.services(["a.B", "c.D"]), .fileDescriptors([[1, 2], [3]]), .error(code: 5, message: "nope")] {
            let response = ReflectionResponse(validHost: "h", originalRequest: request, kind: kind)
            XCTAssertEqual(try ReflectionResponse(decoding: response.encoded()), response)
        }
    }

    func testDescriptorIndexFindsEverySymbolAndDependency() throws {
        let index = FileDescriptorIndex.embedded
        XCTAssertEqual(Set(index.allServices), ["dapr.proto.components.v1.InputBinding", "dapr.proto.components.v1.OutputBinding",
                                                "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"])
        let bindings = try XCTUnwrap(index.file(containingSymbol: "dapr.proto.components.v1.ReadResponse"))
        XCTAssertEqual(bindings.name, "dapr/proto/components/v1/bindings.proto")
        XCTAssertEqual(index.file(containingSymbol: "dapr.proto.components.v1.InputBinding.Read")?.name, bindings.name)
        XCTAssertEqual(index.file(containingSymbol: "dapr.proto.components.v1.ReadResponse.MetadataEntry")?.name, bindings.name)
        XCTAssertEqual(index.file(containingSymbol: "dapr.proto.components.v1.PingRequest")?.name, "dapr/proto/components/v1/common.proto")
        XCTAssertEqual(index.withDependencies(bindings).map(\.name), [bindings.name, "dapr/proto/components/v1/common.proto"])
        XCTAssertNil(index.file(containingSymbol: "dapr.proto.components.v1.Nothing"))
    }

    /// The committed protoc-c output and descriptors must be what the script makes from Protos/.
    func testGeneratedCodeIsNotStale() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("generated-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/generate-protos.sh").path, output.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "scripts/generate-protos.sh failed (protoc and protoc-c come from scripts/install-dependencies.sh)")
        let generated = ["Sources/DaprProtoC/generated", "Sources/DaprProtoC/include/dapr", "Sources/DaprProtoC/include/grpc", "Sources/DaprProto/Generated"]
        for folder in generated {
            let fresh = output.appendingPathComponent(folder)
            let files = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: fresh.path)).filter { !$0.hasSuffix("/") }
            XCTAssertFalse(files.isEmpty, folder)
            for file in files {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: fresh.appendingPathComponent(file).path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let committed = try? Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file))
                let regenerated = try Data(contentsOf: fresh.appendingPathComponent(file))
                XCTAssertEqual(committed, regenerated, "\(folder)/\(file) is stale: run scripts/generate-protos.sh and commit")
            }
            let committedFiles = try FileManager.default.subpathsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            XCTAssertEqual(Set(committedFiles), Set(files), "\(folder) has files the script no longer makes")
        }
    }
}
