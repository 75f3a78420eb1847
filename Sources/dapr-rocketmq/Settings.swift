import ArgumentParser
import DaprComponents
import Foundation
import Logging

/// What the component runs with, once every flag and environment variable is resolved.
///
/// Each setting has a flag and an environment variable (for containers). A flag wins over its
/// variable; an empty variable counts as unset. A value goes through the same check whichever of
/// the two it came from, every occurrence of a flag too (a bad value is never hidden by a later
/// good one), and a bad one is a usage error that names where it came from: ArgumentParser's
/// "The value 'x' is invalid for '--flag <name>': why" for a flag, the same words with the
/// variable's name for a variable.
struct Settings: Equatable {
    var socketName = ComponentSocket.defaultName
    var logLevel = Logger.Level.info
    var demoBroker = false
    /// Where Prometheus metrics are served; nil: not at all.
    var metricsPort: Int?
    /// Where state that outlives the process is kept (broadcasting consumers' offsets); nil: the
    /// socket's default, `<socket folder>/.dapr-rocketmq/<socket name>.state`.
    var stateFolder: String?

    static let socketNameVariable = "DAPR_ROCKETMQ_SOCKET_NAME"
    static let logLevelVariable = "DAPR_ROCKETMQ_LOG_LEVEL"
    static let demoBrokerVariable = "DAPR_ROCKETMQ_DEMO_BROKER"
    static let metricsPortVariable = "DAPR_ROCKETMQ_METRICS_PORT"
    static let stateFolderVariable = "DAPR_ROCKETMQ_STATE_DIR"

    static let logLevels = Logger.Level.allCases.map(\.rawValue)
    static let trueWords = ["true", "1", "yes"]
    static let falseWords = ["false", "0", "no"]

    /// Why a value is refused; for a flag, ArgumentParser prints it after its own words.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameters: the flags as parsed and checked (nil: not given), and the process environment.
    static func resolve(
        socketName: String?, logLevel: Logger.Level?, demoBroker: Bool?, metricsPort: Int? = nil, stateFolder: String? = nil,
        environment: [String: String]
    ) throws -> Settings {
        /// A variable's value, checked by `check`; nil when unset or empty.
        func variable<Value>(_ name: String, _ check: (String) throws -> Value) throws -> Value? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            do {
                return try check(text)
            } catch let refusal as Refusal {
                throw ValidationError("The value '\(text)' is invalid for \(name): \(refusal)")
            }
        }
        var settings = Settings()
        if let name = try socketName ?? variable(socketNameVariable, checkSocketName) { settings.socketName = name }
        if let level = try logLevel ?? variable(logLevelVariable, checkLogLevel) { settings.logLevel = level }
        if let demo = try demoBroker ?? variable(demoBrokerVariable, checkBoolean) { settings.demoBroker = demo }
        settings.metricsPort = try metricsPort ?? variable(metricsPortVariable, checkPort)
        settings.stateFolder = try stateFolder ?? variable(stateFolderVariable, checkStateFolder)
        return settings
    }

    @Sendable static func checkSocketName(_ name: String) throws -> String {
        if let problem = ComponentSocket.problem(withName: name) { throw Refusal(description: problem) }
        return name
    }

    @Sendable static func checkLogLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw Refusal(description: "allowed: " + logLevels.joined(separator: ", "))
        }
        return level
    }

    @Sendable static func checkPort(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw Refusal(description: "a TCP port from 0 to 65535 (0: any free port)")
        }
        return port
    }

    /// A folder that exists or can be made later (at the first broadcasting Init); an existing
    /// file that is not a folder is refused now, rather than at every Init.
    @Sendable static func checkStateFolder(_ path: String) throws -> String {
        if path.isEmpty { throw Refusal(description: "a folder path must not be empty") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            throw Refusal(description: "\(path) exists and is not a folder")
        }
        return path
    }

    static func checkBoolean(_ text: String) throws -> Bool {
        if trueWords.contains(text.lowercased()) { return true }
        if falseWords.contains(text.lowercased()) { return false }
        throw Refusal(description: "allowed: " + (trueWords + falseWords).joined(separator: ", "))
    }
}
