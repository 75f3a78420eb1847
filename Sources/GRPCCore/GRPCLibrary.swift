import CGRPCCore

/// `grpc_init` / `grpc_shutdown`. The core counts them itself; each owner (a server) calls
/// `retain` once when it is created and `release` once after everything of its is destroyed.
enum GRPCLibrary {
    static func retain() { grpc_init() }
    static func release() { grpc_shutdown() }
}
