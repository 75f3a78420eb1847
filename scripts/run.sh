#!/usr/bin/env bash
# README command one: install dependencies, build, and run the component. It also starts the
# in-memory RocketMQ *test* broker and uses it for components that name no name server (a demo; it
# says so loudly). Pass --no-demo-broker (anywhere: of the two flags the last one wins) to serve
# real brokers only; further arguments go to the component (dapr-rocketmq --help).
# The Swift runtime is linked statically: fewer shared pages resident (idle RSS about 27 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --static-swift-stdlib --product dapr-rocketmq
exec .build/release/dapr-rocketmq --demo-broker "$@"
