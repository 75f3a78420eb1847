import Logging

/// Flags, each with an environment variable for container use.
struct CommandLineOptions {
    var socketName = "rocketmq"
    var logLevel = Logger.Level.info
    var demoBroker = false
    var showHelp = false

    static let usage = """
        usage: dapr-rocketmq [--socket-name NAME] [--log-level LEVEL] [--demo-broker]

          --socket-name NAME  socket file <folder>/NAME.sock; the component type is bindings.NAME
                              (env DAPR_ROCKETMQ_SOCKET_NAME; default rocketmq). The folder is
                              DAPR_COMPONENTS_SOCKETS_FOLDER, else DAPR_COMPONENT_SOCKETS_FOLDER,
                              else /tmp/dapr-components-sockets.
          --log-level LEVEL   trace, debug, info, notice, warning, error or critical
                              (env DAPR_ROCKETMQ_LOG_LEVEL; default info)
          --demo-broker       also start the in-memory RocketMQ TEST broker and use it for components
                              that name no nameServer (env DAPR_ROCKETMQ_DEMO_BROKER=true). A demo
                              and test double: messages live in memory only.
        """

    enum OptionError: Error, CustomStringConvertible {
        case unknown(String)
        case missingValue(String)
        case invalid(String, String, String)

        var description: String {
            switch self {
            case .unknown(let flag): return "unknown option \(flag)"
            case .missingValue(let flag): return "\(flag) needs a value"
            case .invalid(let name, let value, let allowed): return "\(name): invalid value \"\(value)\"; allowed: \(allowed)"
            }
        }
    }

    static func parse(_ arguments: ArraySlice<String>, environment: [String: String]) throws -> CommandLineOptions {
        var options = CommandLineOptions()
        if let name = environment["DAPR_ROCKETMQ_SOCKET_NAME"], !name.isEmpty { options.socketName = name }
        if let level = environment["DAPR_ROCKETMQ_LOG_LEVEL"], !level.isEmpty { options.logLevel = try parseLevel(level, "DAPR_ROCKETMQ_LOG_LEVEL") }
        if let demo = environment["DAPR_ROCKETMQ_DEMO_BROKER"] { options.demoBroker = ["1", "true", "yes"].contains(demo.lowercased()) }
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--socket-name":
                guard let value = remaining.popFirst(), !value.isEmpty else { throw OptionError.missingValue(argument) }
                guard !value.contains("/") else { throw OptionError.invalid(argument, value, "a file name without /") }
                options.socketName = value
            case "--log-level":
                guard let value = remaining.popFirst() else { throw OptionError.missingValue(argument) }
                options.logLevel = try parseLevel(value, argument)
            case "--demo-broker":
                options.demoBroker = true
            case "--help", "-h":
                options.showHelp = true
            default:
                throw OptionError.unknown(argument)
            }
        }
        return options
    }

    private static func parseLevel(_ text: String, _ name: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw OptionError.invalid(name, text, "trace, debug, info, notice, warning, error, critical")
        }
        return level
    }
}
