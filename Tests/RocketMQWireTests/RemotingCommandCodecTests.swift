import TestSupport
import NIOCore
import NIOEmbedded
import NIOTestUtils
import RocketMQWire
import XCTest

/// The NIO codec on an `EmbeddedChannel`, and the decoder under `ByteToMessageDecoderVerifier`.
final class RemotingCommandCodecTests: XCTestCase {
    func testDecoderPassesTheVerifierOnGoldenFrames() throws {
        let records = try GoldenCorpus.records("rocketmq-serialize.jsonl") + GoldenCorpus.records("producer.jsonl")
        let pairs: [(ByteBuffer, [RemotingCommand])] = try records.map { record in
            (ByteBuffer(bytes: record.frame), [try RemotingCommand.decode(frame: record.frame)])
        }
        XCTAssertNoThrow(try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            RemotingCommandDecoder()
        })
    }

    func testEmbeddedChannelRoundTripsCommandsAndFinishesClean() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RemotingCommandDecoder()),
            MessageToByteHandler(RemotingCommandEncoder()),
        ])
        let request = RemotingCommand.request(code: .getRouteinfoByTopic, extFields: ["topic": "T"], opaque: 1)
        var binary = RemotingCommand.request(code: .pullMessage, extFields: ["queueId": "0"], body: [1, 2, 3], opaque: 2)
        binary.serializeType = .rocketmq
        try channel.writeOutbound(request)
        try channel.writeOutbound(binary)
        var wire = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) {
            wire.writeBuffer(&chunk)
        }
        // Feed the bytes back one at a time: frames may arrive split anywhere.
        while let byte = wire.readSlice(length: 1) {
            try channel.writeInbound(byte)
        }
        XCTAssertEqual(try channel.readInbound(as: RemotingCommand.self), request)
        XCTAssertEqual(try channel.readInbound(as: RemotingCommand.self), binary)
        XCTAssertNil(try channel.readInbound(as: RemotingCommand.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testEmbeddedChannelSurfacesOversizeFramesAsTypedErrors() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RemotingCommandDecoder(maxFrameLength: 1024)))
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(2048))
        XCTAssertThrowsError(try channel.writeInbound(buffer)) {
            XCTAssertEqual($0 as? RemotingDecodingError, .frameTooLarge(length: 2048, maximum: 1024))
        }
        XCTAssertNil(try channel.readInbound(as: RemotingCommand.self))
        // After the error the decoder is done with the stream (the owner closes the connection).
        let finished = try channel.finish(acceptAlreadyClosed: true)
        XCTAssertTrue(finished.isClean)
    }
}
