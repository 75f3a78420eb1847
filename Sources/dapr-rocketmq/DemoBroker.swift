import Logging
import RocketMQTestBroker

/// `--demo-broker`: the in-memory RocketMQ **test** broker, so a newcomer can publish and consume
/// without installing RocketMQ. Used only for components that name no name server, and announced
/// loudly; messages live in memory and vanish when the process exits.
struct DemoBroker {
    private let broker: RocketMQTestBroker

    var nameServerAddress: String { broker.nameServerAddress }

    static func start(logger: Logger) async throws -> DemoBroker {
        var configuration = RocketMQTestBrokerConfiguration()
        configuration.logger = logger
        // So that `subscriptionType: sql92` can be tried too (a stock broker needs enablePropertyFilter=true).
        configuration.enablePropertyFilter = true
        let broker = try await RocketMQTestBroker.start(configuration)
        logger.warning("""
            DEMO MODE: started the in-memory RocketMQ TEST broker (a test double, not RocketMQ) at \
            \(broker.nameServerAddress); components without nameServer use it and their messages are not durable
            """)
        return DemoBroker(broker: broker)
    }

    func stop() async {
        try? await broker.shutdown()
    }
}
