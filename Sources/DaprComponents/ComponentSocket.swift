import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Unix domain socket daprd discovers: `<folder>/<name>.sock`.
///
/// Folder: `DAPR_COMPONENTS_SOCKETS_FOLDER` (what daprd reads), else
/// `DAPR_COMPONENT_SOCKETS_FOLDER` (what the Kubernetes injector and the Go SDK set), else
/// `/tmp/dapr-components-sockets`. A stale file (nothing listening) is removed; a live one is
/// an error, never silently taken over.
public struct ComponentSocket: Sendable, Equatable {
    public static let defaultFolder = "/tmp/dapr-components-sockets"
    public static let defaultName = "rocketmq"

    public let path: String

    public init(path: String) {
        self.path = path
    }

    public init(name: String = ComponentSocket.defaultName, environment: [String: String]) {
        let folder = [environment["DAPR_COMPONENTS_SOCKETS_FOLDER"], environment["DAPR_COMPONENT_SOCKETS_FOLDER"]]
            .compactMap { $0 }.first { !$0.isEmpty } ?? Self.defaultFolder
        path = (folder as NSString).appendingPathComponent(name + ".sock")
    }

    /// The folder daprd scans.
    public var folder: String { (path as NSString).deletingLastPathComponent }

    /// The socket's name: its file name without `.sock`. daprd names the component type
    /// `bindings.<name>` after it.
    public var name: String {
        let file = (path as NSString).lastPathComponent
        return file.hasSuffix(".sock") ? String(file.dropLast(".sock".count)) : file
    }

    /// What is wrong with `name` as a socket name (a file name in the folder), or nil.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty { return "a socket name must not be empty" }
        if name.contains("/") { return "a socket name is a file name, without /" }
        if name == "." || name == ".." { return "a socket name must not be . or .." }
        return nil
    }

    /// Where the instance journal lives (`InstanceJournal`): a sub-folder of the socket folder,
    /// because daprd's scan of the folder warns about files that are not sockets but skips
    /// sub-folders silently.
    public var instanceJournalPath: String {
        "\(folder)/.dapr-rocketmq/\(name).instances"
    }

    /// The default state folder (`--state-dir`): beside the instance journal, for the same reason.
    /// Broadcasting consumers keep their offsets there.
    public var defaultStateFolder: String {
        "\(folder)/.dapr-rocketmq/\(name).state"
    }

    public enum SocketError: Error, Equatable, CustomStringConvertible {
        case inUse(String)
        case notASocket(String)
        case cannotPrepare(String, reason: String)

        public var description: String {
            switch self {
            case .inUse(let path):
                return "another process is already serving \(path); stop it or choose another socket name"
            case .notASocket(let path):
                return "\(path) exists and is not a socket; refusing to remove it"
            case .cannotPrepare(let path, let reason):
                return "cannot prepare \(path): \(reason)"
            }
        }
    }

    /// Creates the folder and clears a stale socket file. Throws when a live server owns it.
    public func prepare() throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SocketError.cannotPrepare(path, reason: "\(error)")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        guard (status.st_mode & S_IFMT) == S_IFSOCK else { throw SocketError.notASocket(path) }
        if Self.isListening(path) { throw SocketError.inUse(path) }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw SocketError.cannotPrepare(path, reason: String(cString: strerror(errno)))
        }
    }

    /// Where the server binds first: a private sub-folder (daprd skips sub-folders), so the
    /// socket can be made connectable before it appears under its real name.
    var stagingPath: String {
        let folder = (path as NSString).deletingLastPathComponent
        return "\(folder)/.dapr-rocketmq-\(getpid())/\((path as NSString).lastPathComponent)"
    }

    func prepareStaging() throws {
        let folder = (stagingPath as NSString).deletingLastPathComponent
        unlink(stagingPath)
        rmdir(folder)
        guard mkdir(folder, 0o700) == 0 else {
            throw SocketError.cannotPrepare(stagingPath, reason: String(cString: strerror(errno)))
        }
    }

    /// Makes the staged socket connectable by every user (daprd may run as another user:
    /// Kubernetes, shared hosts) and moves it to its real name in one step, so whoever finds
    /// the socket can use it.
    func publishStaged() throws {
        let folder = (stagingPath as NSString).deletingLastPathComponent
        defer { rmdir(folder) }
        guard chmod(stagingPath, 0o666) == 0, rename(stagingPath, path) == 0 else {
            throw SocketError.cannotPrepare(path, reason: String(cString: strerror(errno)))
        }
    }

    public func remove() {
        unlink(path)
    }

    /// True when something accepts connections on the socket at `path`.
    public static func isListening(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
