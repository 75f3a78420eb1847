/// Message ids (docs/protocol-remoting.md §4.5): the broker's offsetMsgId and the producer's `UNIQ_KEY`.
///
/// Stateless helpers; ``UniqueKeyGenerator`` is a value the caller owns and serialises.
public enum MessageID {
    /// Why an offsetMsgId could not be decoded.
    public enum DecodingError: Error, Sendable, Equatable {
        /// Not 32 (IPv4) or 56 (IPv6) hex characters.
        case invalidLength(Int)
        case invalidHexDigit
    }

    /// `storeHost ip ++ port(int32) ++ commitLogOffset(int64)` as uppercase hex: 32 characters for
    /// IPv4, 56 for IPv6 (`MessageDecoder.createMessageId`).
    public static func offsetMessageID(storeHost: HostAddress, commitLogOffset: Int64) -> String {
        var bytes = storeHost.ip
        bytes.append(contentsOf: bigEndianBytes(UInt32(bitPattern: storeHost.port)))
        bytes.append(contentsOf: bigEndianBytes(UInt64(bitPattern: commitLogOffset)))
        return hex(bytes)
    }

    /// The store host and commit-log offset inside an offsetMsgId.
    public static func decodeOffsetMessageID(_ id: String) throws -> (storeHost: HostAddress, commitLogOffset: Int64) {
        let count = id.utf8.count
        guard count == 32 || count == 56 else { throw DecodingError.invalidLength(count) }
        guard let bytes = bytes(fromHex: id) else { throw DecodingError.invalidHexDigit }
        let ipLength = count == 32 ? 4 : 16
        let port = bytes[ipLength..<ipLength + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let offset = bytes[ipLength + 4..<ipLength + 12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (HostAddress(ip: Array(bytes[0..<ipLength]), port: Int32(bitPattern: port)), Int64(bitPattern: offset))
    }

    /// Uppercase hex, as Java `UtilAll.bytes2string`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex text (either case); `nil` for odd length or a non-hex character.
    public static func bytes(fromHex text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
            default: return nil
            }
        }
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    static func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// Generates `UNIQ_KEY`s in the Java layout (`MessageClientIDSetter`): a fixed prefix of
    /// ip (4 or 16 bytes) ++ pid (int16) ++ a class-loader-hash-like int32, then per id the
    /// milliseconds since the start of the current month (int32) ++ a 16-bit counter, all in
    /// uppercase hex (32 or 56 characters).
    ///
    /// A value type: the owner calls ``next(nowMillis:)`` from one place at a time (wrap it in a lock
    /// to share it).
    public struct UniqueKeyGenerator: Sendable {
        public let prefix: [UInt8]
        private var counter: UInt16 = 0
        private var monthStartMillis: Int64 = 0
        private var nextMonthStartMillis: Int64 = 0

        /// - Parameters:
        ///   - ip: 4 or 16 bytes of this host's address.
        ///   - pid: the process id (truncated to 16 bits like Java's `(short) pid`).
        ///   - discriminator: stands in for Java's class-loader hash; any per-process random int.
        public init(ip: [UInt8], pid: Int32, discriminator: Int32) {
            var prefix = ip
            prefix.append(contentsOf: MessageID.bigEndianBytes(UInt16(truncatingIfNeeded: pid)))
            prefix.append(contentsOf: MessageID.bigEndianBytes(UInt32(bitPattern: discriminator)))
            self.prefix = prefix
        }

        /// The next id. The month start is computed in UTC (Java uses the local time zone; the value
        /// is only a uniqueness aid, nobody parses it back).
        public mutating func next(nowMillis: Int64) -> String {
            if nowMillis >= nextMonthStartMillis || nowMillis < monthStartMillis {
                (monthStartMillis, nextMonthStartMillis) = MessageID.utcMonthBounds(containing: nowMillis)
            }
            var bytes = prefix
            bytes.append(contentsOf: MessageID.bigEndianBytes(UInt32(truncatingIfNeeded: nowMillis - monthStartMillis)))
            bytes.append(contentsOf: MessageID.bigEndianBytes(counter))
            counter &+= 1
            return MessageID.hex(bytes)
        }
    }

    /// The UTC start of the month containing `millis`, and of the next month (civil-calendar arithmetic).
    static func utcMonthBounds(containing millis: Int64) -> (Int64, Int64) {
        let days = Int64((Double(millis) / 86_400_000).rounded(.down))
        // Howard Hinnant's civil_from_days / days_from_civil.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func daysFromCivil(_ y0: Int64, _ m: Int64) -> Int64 {
            let y = m <= 2 ? y0 - 1 : y0
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }
        let start = daysFromCivil(year, month) * 86_400_000
        let next = month == 12 ? daysFromCivil(year + 1, 1) : daysFromCivil(year, month + 1)
        return (start, next * 86_400_000)
    }
}
