import NIOCore
import RocketMQClient
import RocketMQHTTP

/// Client configuration derived from the component metadata: one place that turns
/// `BindingMetadata` into the RocketMQ client's settings.
extension BindingMetadata {
    /// The client id is the client's default (`ip@pid#nanos`), unique per instance and direction.
    func clientConfiguration() -> ClientConfiguration {
        ClientConfiguration(
            nameServers: nameServers,
            nameServerDomain: nameServerDomain,
            namespace: instanceID,
            credentials: accessKey.map { Credentials(accessKey: $0, secretKey: secretKey ?? "", securityToken: securityToken) },
            retries: retries,
            requestTimeout: .milliseconds(Int64(sendTimeoutMillis)))
    }

    func producerConfiguration() -> ProducerConfiguration {
        ProducerConfiguration(
            client: clientConfiguration(), group: producerGroup,
            sendTimeout: .milliseconds(Int64(sendTimeoutMillis)))
    }

    /// `messageModel` comes from `BindingEnvironment.messageModel`, which knows where a
    /// broadcasting instance keeps its offsets.
    func consumerConfiguration(messageModel: MessageModel = .clustering) -> ConsumerConfiguration {
        ConsumerConfiguration(
            client: clientConfiguration(), group: consumerGroup,
            subscriptions: subscriptions,
            pullBatchSize: consumerBatchSize, maxInFlight: consumerThreadNums, consumeFromWhere: consumeFromWhere,
            maxReconsumeTimes: maxReconsumeTimes, orderly: consumeOrderly, messageModel: messageModel)
    }
}

extension BindingMetadata {
    /// The HTTP access protocol's settings (metadata validation made sure endpoint and keys are set).
    func httpConfiguration() -> MQHTTPConfiguration {
        MQHTTPConfiguration(endpoint: endpoint ?? "", accessKey: accessKey ?? "", secretKey: secretKey ?? "",
                            instance: instanceID, securityToken: securityToken)
    }
}
