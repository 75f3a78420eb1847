#!/usr/bin/env bash
# README command two: install dependencies and run the whole test suite (one debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
scripts/check-self-contained.sh
swift build --build-tests
swift test --skip-build "$@"
