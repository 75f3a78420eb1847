#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import RocketMQWire

/// Client message ids (`UNIQ_KEY`, docs/protocol-remoting.md §4.5): IPv4 (4) + pid (2) + a random
/// process tag (4, where Java puts its class-loader hash) + milliseconds (4) + counter (2), as 32
/// uppercase hex digits. Thread-safe.
final class MessageIDGenerator: Sendable {
    private let prefix: [UInt8]
    private let counter = NIOLockedValueBox<UInt16>(0)

    init() {
        var prefix: [UInt8] = []
        let ip = ClientIdentity.localIPv4().split(separator: ".").compactMap { UInt8($0) }
        prefix += ip.count == 4 ? ip : [127, 0, 0, 1]
        let pid = UInt16(truncatingIfNeeded: getpid())
        prefix += [UInt8(pid >> 8), UInt8(pid & 0xFF)]
        let tag = UInt32.random(in: 0...UInt32.max)
        prefix += [UInt8(tag >> 24), UInt8((tag >> 16) & 0xFF), UInt8((tag >> 8) & 0xFF), UInt8(tag & 0xFF)]
        self.prefix = prefix
    }

    func next() -> String {
        let count = counter.withLockedValue { value -> UInt16 in
            value &+= 1
            return value
        }
        let millis = UInt32(truncatingIfNeeded: WallClock.nowMillis())
        var bytes = prefix
        bytes += [UInt8(millis >> 24), UInt8((millis >> 16) & 0xFF), UInt8((millis >> 8) & 0xFF), UInt8(millis & 0xFF)]
        bytes += [UInt8(count >> 8), UInt8(count & 0xFF)]
        return MessageID.hex(bytes)
    }
}
