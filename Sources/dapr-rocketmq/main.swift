print("dapr-rocketmq: not yet")
