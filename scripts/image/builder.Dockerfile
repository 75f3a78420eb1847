# A stand-in for the public Swift image (swift:6.3-bookworm), made without any image registry:
# Debian bookworm with the build packages, and the Swift toolchain of the machine copied in from
# a read-only bind mount. scripts/test-image.sh --offline builds it as
#
#   podman build -f scripts/image/builder.Dockerfile -v SWIFT_PREFIX:/mnt/swift:ro \
#       --build-arg BASE_IMAGE=... -t dapr-rocketmq-builder:swift-VERSION scripts/image
#
# where SWIFT_PREFIX is the folder holding the toolchain's usr/bin/swiftc, and then passes the
# image to the top-level Dockerfile as BUILDER_IMAGE.
ARG BASE_IMAGE=localhost/debian:bookworm-slim
FROM ${BASE_IMAGE}
# What the Swift toolchain runs on (as the public image has it: binutils, gcc, the C and C++
# headers, git, pkg-config, and the libraries swift-frontend, swift-build and clang load), plus
# this project's build packages (the Dockerfile's build stage finds them installed).
RUN set -eu; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get -q update; \
    apt-get -q install -y --no-install-recommends \
        binutils gcc libc6-dev libstdc++-12-dev git pkg-config ca-certificates tzdata \
        libcurl4 libxml2 libedit2 libsqlite3-0 libncurses6 libz3-4 libuuid1 \
        libgrpc-dev libprotobuf-c-dev zlib1g-dev; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# The toolchain, from the bind mount (it is not part of the build context).
RUN set -eu; \
    test -x /mnt/swift/usr/bin/swiftc || { echo "no Swift toolchain mounted at /mnt/swift" >&2; exit 1; }; \
    mkdir -p /usr/local/swift-toolchain; \
    cp -a /mnt/swift/. /usr/local/swift-toolchain/; \
    chmod -R o+rX /usr/local/swift-toolchain/usr/lib/swift
ENV PATH=/usr/local/swift-toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN swift --version
