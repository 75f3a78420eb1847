/// An IP address and port as stored in messages and message ids (IPv4: 4 bytes, IPv6: 16 bytes).
///
/// A value type; safe from any thread.
public struct HostAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 address bytes.
    public var ip: [UInt8]
    public var port: Int32

    public init(ip: [UInt8], port: Int32) {
        self.ip = ip
        self.port = port
    }

    public var isIPv6: Bool { ip.count == 16 }

    /// `127.0.0.1:10911`, or `[fd00:0:0:0:0:0:0:2]:10911` for IPv6 (Java's uncompressed groups).
    public var description: String {
        if ip.count == 16 {
            let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }
            return "[\(groups.joined(separator: ":"))]:\(port)"
        }
        return ip.map(String.init).joined(separator: ".") + ":\(port)"
    }

    /// Parses `a.b.c.d:port` (IPv4 only; the address form brokers and name servers advertise).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int32(parts[1]), (0...65535).contains(port) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        self.init(ip: octets, port: port)
    }
}
