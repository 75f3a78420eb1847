#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// How this process names itself to the brokers (docs/protocol-remoting.md §5.1): `ip@pid#nanos`,
/// unique per client instance, so two consumers of one group in one process are two members.
enum ClientIdentity {
    static func defaultClientID() -> String {
        "\(localIPv4())@\(getpid())#\(DispatchTimeNanos.now())"
    }

    /// The first up, non-loopback IPv4 address, as the Java and Go clients pick it; loopback when none.
    static func localIPv4() -> String {
        if let interfaces = try? System.enumerateDevices() {
            for device in interfaces {
                if let address = device.address, case .v4 = address, let ip = address.ipAddress, ip != "127.0.0.1" {
                    return ip
                }
            }
        }
        return "127.0.0.1"
    }
}

/// A monotonic nanosecond count for ids (not a wall clock).
enum DispatchTimeNanos {
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
