#!/usr/bin/env bash
# The benchmark (not part of the test suite): builds release and prints the figures table.
# Arguments go to dapr-rocketmq-bench (--name-server host:port, --messages N, --backlog N, --json PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --static-swift-stdlib --product dapr-rocketmq
swift build -c release --static-swift-stdlib --product dapr-rocketmq-bench
exec .build/release/dapr-rocketmq-bench "$@"
