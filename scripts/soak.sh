#!/usr/bin/env bash
# Soak (not part of the test suite): the release component under moderate load for MINUTES
# (default 30) against the in-memory test broker, sampling RSS, threads and open descriptors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --static-swift-stdlib --product dapr-rocketmq
swift build -c release --static-swift-stdlib --product dapr-rocketmq-bench
exec .build/release/dapr-rocketmq-bench --soak-minutes "${1:-30}"
