#!/usr/bin/env bash
# The benchmark (not part of the test suite): builds release and prints the figures table.
# Arguments go to dapr-rocketmq-bench (--help lists them: --name-server host:port, --component PATH,
# --messages N, --backlog N, --json PATH, --soak-minutes M, --concurrency 1,16,64,
# --sizes 128,1024,16384, --no-read, --component-cpus LIST; --flag=value works too).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --static-swift-stdlib --product dapr-rocketmq
swift build -c release --static-swift-stdlib --product dapr-rocketmq-bench
exec .build/release/dapr-rocketmq-bench "$@"
