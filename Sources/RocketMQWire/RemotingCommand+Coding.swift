import NIOCore

// Frame (docs/protocol-remoting.md §1.1) — all integers big-endian:
//
// +---------------+----------------------------------+------------------+---------------+
// | length: int32 | serializeType: u8 | hdrLen: u24  | header (hdrLen)  | body (rest)   |
// +---------------+----------------------------------+------------------+---------------+
//   length = 4 + hdrLen + bodyLen (it does not count itself); length + 4 <= 16 MiB
//   serializeType 0 = JSON header, 1 = ROCKETMQ binary header
//
// ROCKETMQ binary header (docs/protocol-remoting.md §1.3):
//
// | offset | size     | field                                                  |
// |--------|----------|--------------------------------------------------------|
// | 0      | 2        | code, int16                                            |
// | 2      | 1        | language byte (JAVA 0 ... OTHER 7 ... RUST 12)         |
// | 3      | 2        | version, int16                                         |
// | 5      | 4        | opaque, int32                                          |
// | 9      | 4        | flag, int32 (bit 0 response, bit 1 oneway)             |
// | 13     | 4        | remarkLen, int32 (0 = no remark)                       |
// | 17     | remarkLen| remark, UTF-8                                          |
// | ...    | 4        | extLen, int32: bytes of the entries that follow        |
// | ...    | extLen   | { keyLen int16, key, valLen int32, value }*            |
//
// JSON header (docs/protocol-remoting.md §1.2), fastjson, keys in alphabetical order, remark/extFields
// left out when absent, e.g.
// {"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,
//  "serializeTypeCurrentRPC":"JSON","version":409}

extension RemotingCommand {
    /// Netty's `FRAME_MAX_LENGTH` default: the largest `length + 4` a peer accepts.
    public static let maxFrameLength = 16_777_216

    /// Decodes one whole frame from `buffer` if all its bytes are there.
    ///
    /// Returns `nil` (consuming nothing) while the frame is incomplete. The length word is checked
    /// against `maxFrameLength` as soon as it is readable, before waiting for or allocating the rest.
    /// Safe on any thread; never traps on malformed input.
    public static func decodeFrame(
        from buffer: inout ByteBuffer,
        maxFrameLength: Int = RemotingCommand.maxFrameLength
    ) throws -> RemotingCommand? {
        guard let lengthWord = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(lengthWord)
        guard length <= maxFrameLength - 4 else {
            throw RemotingDecodingError.frameTooLarge(length: length, maximum: maxFrameLength)
        }
        guard length >= 4 else { throw RemotingDecodingError.frameTooShort(length: length) }
        guard buffer.readableBytes >= 4 + length else { return nil }
        guard let word2 = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return nil }
        let headerLength = Int(word2 & 0x00FF_FFFF)
        let typeByte = UInt8(truncatingIfNeeded: word2 >> 24)
        guard headerLength <= length - 4 else {
            throw RemotingDecodingError.headerLengthExceedsFrame(headerLength: headerLength, frameLength: length)
        }
        guard let serializeType = SerializeType(rawValue: typeByte) else {
            throw RemotingDecodingError.unknownSerializeType(typeByte)
        }
        let headerStart = buffer.readerIndex + 8
        guard let header = buffer.getBytes(at: headerStart, length: headerLength),
              let body = buffer.getBytes(at: headerStart + headerLength, length: length - 4 - headerLength)
        else { return nil }
        var command = try decodeHeader(header, serializeType: serializeType)
        command.body = body
        buffer.moveReaderIndex(forwardBy: 4 + length)
        return command
    }

    /// Decodes a complete frame (length word included). Throws if it is incomplete or has extra bytes.
    public static func decode(frame: [UInt8], maxFrameLength: Int = RemotingCommand.maxFrameLength) throws -> RemotingCommand {
        var buffer = ByteBuffer(bytes: frame)
        guard let command = try decodeFrame(from: &buffer, maxFrameLength: maxFrameLength) else {
            throw RemotingDecodingError.incompleteFrame(available: frame.count)
        }
        guard buffer.readableBytes == 0 else {
            throw RemotingDecodingError.trailingFrameBytes(buffer.readableBytes)
        }
        return command
    }

    /// Decodes header bytes of the given serialization into a command with an empty body.
    public static func decodeHeader(_ header: [UInt8], serializeType: SerializeType) throws -> RemotingCommand {
        switch serializeType {
        case .json: return try decodeJSONHeader(header)
        case .rocketmq: return try decodeBinaryHeader(header)
        }
    }

    /// Appends this command as one frame.
    public func encode(into buffer: inout ByteBuffer, maxFrameLength: Int = RemotingCommand.maxFrameLength) throws {
        let header = try encodedHeader()
        guard header.count <= 0x00FF_FFFF else { throw RemotingEncodingError.headerTooLarge(header.count) }
        let length = 4 + header.count + body.count
        guard length + 4 <= maxFrameLength else { throw RemotingEncodingError.frameTooLarge(length + 4) }
        buffer.reserveCapacity(minimumWritableBytes: 4 + length)
        buffer.writeInteger(UInt32(length))
        buffer.writeInteger(UInt32(serializeType.rawValue) << 24 | UInt32(header.count))
        buffer.writeBytes(header)
        buffer.writeBytes(body)
    }

    /// This command as one frame's bytes.
    public func encodedFrame() throws -> [UInt8] {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The header bytes in ``serializeType``.
    public func encodedHeader() throws -> [UInt8] {
        switch serializeType {
        case .json: return encodedJSONHeader()
        case .rocketmq: return try encodedBinaryHeader()
        }
    }

    /// ext fields in the order they go on the wire: the recorded order first, then the rest in
    /// Java `HashMap` order.
    var orderedExtFields: [(key: String, value: String)] {
        // The usual case, every request we build: the recorded order names each field once (a
        // typed header's order may also name optional fields that are not set, which are skipped),
        // so one lookup per key finds them all.
        if let order = extFieldsOrder, order.count >= extFields.count, Self.areDistinct(order) {
            var fields: [(key: String, value: String)] = []
            fields.reserveCapacity(extFields.count)
            var missing = order.count - extFields.count
            for key in order {
                if let value = extFields[key] {
                    fields.append((key, value))
                } else if missing == 0 {
                    break
                } else {
                    missing -= 1
                }
            }
            if fields.count == extFields.count { return fields }
        }
        let recorded = (extFieldsOrder ?? []).filter { extFields[$0] != nil }
        var ordered: [String] = []
        var seen = Set<String>()
        for key in recorded where seen.insert(key).inserted {
            ordered.append(key)
        }
        if ordered.count < extFields.count {
            let rest = extFields.keys.filter { !seen.contains($0) }.sorted()
            ordered.append(contentsOf: JavaHash.hashMapIterationOrder(rest))
        }
        return ordered.map { ($0, extFields[$0] ?? "") }
    }

    /// Pairwise for the dozen keys of a header: cheaper than hashing them into a set.
    private static func areDistinct(_ keys: [String]) -> Bool {
        for (index, key) in keys.enumerated() where keys[(index + 1)...].contains(key) {
            return false
        }
        return true
    }

    // MARK: JSON

    func encodedJSONHeader() -> [UInt8] {
        var w = FastJSONWriter()
        // The fixed members take about 130 bytes; each ext field its text plus quotes and separators.
        let extBytes = extFields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 }
        w.reserveCapacity(160 + (remark?.utf8.count ?? 0) + extBytes)
        w.fragment(#"{"code":"#)
        w.integer(Int64(code))
        if !extFields.isEmpty || encodesEmptyExtFields {
            w.fragment(#","extFields":{"#)
            for (i, field) in orderedExtFields.enumerated() {
                if i > 0 { w.fragment(",") }
                w.key(field.key)
                w.string(field.value)
            }
            w.fragment("}")
        }
        w.fragment(#","flag":"#)
        w.integer(Int64(flag))
        w.fragment(#","language":"#)
        w.string(language.name)
        w.fragment(#","opaque":"#)
        w.integer(Int64(opaque))
        if let remark {
            w.fragment(#","remark":"#)
            w.string(remark)
        }
        w.fragment(#","serializeTypeCurrentRPC":"JSON","version":"#)
        w.integer(Int64(version))
        w.fragment("}")
        return w.bytes
    }

    /// Reads the header's members as they are parsed, without a `JSONValue` tree: the whole text
    /// is checked first (a syntax error wins over a bad field, wherever each is), then the fields in
    /// a fixed order. The first of a repeated member wins, as a search by name would find it.
    static func decodeJSONHeader(_ header: [UInt8]) throws -> RemotingCommand {
        var code, version, opaque, flag, language, remark: JSONValue?
        var extFields: JSONHeaderExtFields?
        var parser = JSONParser(bytes: header, maxDepth: 8)
        do {
            guard parser.peekPastWhitespace() == UInt8(ascii: "{") else {
                _ = try parser.parseValue(depth: 0)
                try parser.expectEnd()
                throw RemotingDecodingError.invalidJSONHeader("not an object")
            }
            try parser.parseMembers(depth: 0) { parser, key in
                switch key {
                case "code" where code == nil: code = try parser.parseValue(depth: 1)
                case "version" where version == nil: version = try parser.parseValue(depth: 1)
                case "opaque" where opaque == nil: opaque = try parser.parseValue(depth: 1)
                case "flag" where flag == nil: flag = try parser.parseValue(depth: 1)
                case "language" where language == nil: language = try parser.parseValue(depth: 1)
                case "remark" where remark == nil: remark = try parser.parseValue(depth: 1)
                case "extFields" where extFields == nil: extFields = try JSONHeaderExtFields(parsing: &parser, depth: 1)
                default: _ = try parser.parseValue(depth: 1)
                }
            }
            try parser.expectEnd()
        } catch let error as JSONParseError {
            throw RemotingDecodingError.invalidJSONHeader(error.description)
        }
        func int32(_ key: String, _ member: JSONValue?, required: Bool) throws -> Int32 {
            guard let member, member != .null else {
                if required { throw RemotingDecodingError.invalidJSONHeaderField(key) }
                return 0
            }
            guard let number = member.int32Value else { throw RemotingDecodingError.invalidJSONHeaderField(key) }
            return number
        }
        var command = RemotingCommand(code: try int32("code", code, required: true))
        command.version = try int32("version", version, required: false)
        command.opaque = try int32("opaque", opaque, required: false)
        command.flag = try int32("flag", flag, required: false)
        switch language {
        case .string(let name)?:
            // An unknown language name must not lose the frame; fastjson would make it null.
            command.language = LanguageCode(name: name) ?? .other
        case .number(let text)?:
            command.language = UInt8(text).map { LanguageCode(code: $0) } ?? .other
        default:
            command.language = .java
        }
        switch remark {
        case .string(let remark)?: command.remark = remark
        case .null?, nil: command.remark = nil
        default: throw RemotingDecodingError.invalidJSONHeaderField("remark")
        }
        switch extFields {
        case .fields(let fields, let order, nil)?:
            command.extFields = fields
            command.extFieldsOrder = order
            command.encodesEmptyExtFields = fields.isEmpty
        case .fields(_, _, let invalidKey?)?:
            throw RemotingDecodingError.invalidJSONHeaderField("extFields.\(invalidKey)")
        case .notAnObject?:
            throw RemotingDecodingError.invalidJSONHeaderField("extFields")
        case .null?, nil:
            break
        }
        command.serializeType = .json
        return command
    }

    // MARK: ROCKETMQ binary

    func encodedBinaryHeader() throws -> [UInt8] {
        guard let code16 = Int16(exactly: code) else { throw RemotingEncodingError.valueOutOfInt16Range(field: "code", value: code) }
        guard let version16 = Int16(exactly: version) else {
            throw RemotingEncodingError.valueOutOfInt16Range(field: "version", value: version)
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(code16)
        buffer.writeInteger(language.code)
        buffer.writeInteger(version16)
        buffer.writeInteger(opaque)
        buffer.writeInteger(flag)
        let remarkBytes = Array((remark ?? "").utf8)
        buffer.writeInteger(Int32(remarkBytes.count))
        buffer.writeBytes(remarkBytes)
        var ext = ByteBuffer()
        for (key, value) in orderedExtFields {
            let keyBytes = Array(key.utf8)
            guard let keyLength = Int16(exactly: keyBytes.count) else { throw RemotingEncodingError.extKeyTooLong(key) }
            let valueBytes = Array(value.utf8)
            ext.writeInteger(keyLength)
            ext.writeBytes(keyBytes)
            ext.writeInteger(Int32(valueBytes.count))
            ext.writeBytes(valueBytes)
        }
        buffer.writeInteger(Int32(ext.readableBytes))
        buffer.writeBuffer(&ext)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    static func decodeBinaryHeader(_ header: [UInt8]) throws -> RemotingCommand {
        var buffer = ByteBuffer(bytes: header)
        let truncated = RemotingDecodingError.binaryHeaderTruncated(headerLength: header.count)
        guard let code = buffer.readInteger(as: Int16.self),
              let languageByte = buffer.readInteger(as: UInt8.self),
              let version = buffer.readInteger(as: Int16.self),
              let opaque = buffer.readInteger(as: Int32.self),
              let flag = buffer.readInteger(as: Int32.self),
              let remarkLength = buffer.readInteger(as: Int32.self)
        else { throw truncated }
        guard remarkLength >= 0, Int(remarkLength) <= buffer.readableBytes else {
            throw RemotingDecodingError.remarkLengthOutOfBounds(Int(remarkLength))
        }
        // Java readStr: a zero-length string decodes to null.
        let remark: String? = remarkLength == 0 ? nil : buffer.readString(length: Int(remarkLength))
        guard let extLength = buffer.readInteger(as: Int32.self) else { throw truncated }
        guard extLength >= 0, Int(extLength) <= buffer.readableBytes else {
            throw RemotingDecodingError.extFieldsLengthOutOfBounds(Int(extLength))
        }
        guard var ext = buffer.readSlice(length: Int(extLength)) else { throw truncated }
        var fields: [String: String] = [:]
        var order: [String] = []
        while ext.readableBytes > 0 {
            let entryOffset = Int(extLength) - ext.readableBytes
            guard let keyLength = ext.readInteger(as: Int16.self), keyLength >= 0,
                  let key = ext.readString(length: Int(keyLength)),
                  let valueLength = ext.readInteger(as: Int32.self), valueLength >= 0,
                  Int(valueLength) <= ext.readableBytes,
                  let value = ext.readString(length: Int(valueLength))
            else { throw RemotingDecodingError.extFieldEntryOutOfBounds(offset: entryOffset) }
            if fields.updateValue(value, forKey: key) == nil { order.append(key) }
        }
        guard buffer.readableBytes == 0 else { throw RemotingDecodingError.trailingHeaderBytes(buffer.readableBytes) }
        return RemotingCommand(
            code: Int32(code),
            language: LanguageCode(code: languageByte),
            version: Int32(version),
            opaque: opaque,
            flag: flag,
            remark: remark,
            extFields: fields,
            serializeType: .rocketmq,
            extFieldsOrder: order
        )
    }
}

/// A JSON header's `extFields` member, read straight into the command's map.
private enum JSONHeaderExtFields {
    /// The string fields in first-seen order (a repeated key keeps its place and takes the last
    /// value), and the first key whose value was not a scalar: the header is refused for it once
    /// the whole text has parsed.
    case fields([String: String], order: [String], invalidKey: String?)
    case null
    case notAnObject

    init(parsing parser: inout JSONParser, depth: Int) throws {
        guard parser.peekPastWhitespace() == UInt8(ascii: "{") else {
            self = try parser.parseValue(depth: depth) == .null ? .null : .notAnObject
            return
        }
        var fields: [String: String] = [:]
        var order: [String] = []
        var invalidKey: String?
        try parser.parseMembers(depth: depth) { parser, key in
            let value = try parser.parseValue(depth: depth + 1)
            // Values should be strings; numbers and booleans were accepted by the broker
            // (docs/protocol-remoting.md §1.2).
            if value == .null { return }
            guard let text = value.scalarText else {
                invalidKey = invalidKey ?? key
                return
            }
            if fields.isEmpty {
                fields.reserveCapacity(16)
                order.reserveCapacity(16)
            }
            if fields.updateValue(text, forKey: key) == nil { order.append(key) }
        }
        self = .fields(fields, order: order, invalidKey: invalidKey)
    }
}
