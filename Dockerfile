# dapr-rocketmq as a container image: the Dapr pluggable component (bindings.rocketmq) serving
# gRPC on the Unix socket <socket folder>/rocketmq.sock. Run it beside daprd, both mounting the
# same socket folder (a shared volume; an emptyDir in a Kubernetes pod).
#
#   docker build -t dapr-rocketmq .          (or: podman build -t dapr-rocketmq .)
#
# The build stage uses the public Swift image and SwiftPM fetches the packages from GitHub.
# scripts/test-image.sh builds and smoke-tests this file; its --offline mode passes a locally
# made builder image (BUILDER_IMAGE), a locally made base (RUNTIME_IMAGE), and a build context
# that already carries the package checkouts (SWIFT_BUILD_FLAGS=--disable-automatic-resolution).

ARG BUILDER_IMAGE=docker.io/library/swift:6.3-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

# ---- build ------------------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS build
ARG SWIFT_BUILD_FLAGS=""
# The C libraries the package links: the gRPC C core, protobuf-c and zlib (Debian's -dev packages).
RUN set -eu; \
    packages="libgrpc-dev libprotobuf-c-dev zlib1g-dev"; \
    if [ "$(dpkg-query -W -f='${db:Status-Abbrev}\n' $packages 2>/dev/null | grep -c '^ii')" -ne 3 ]; then \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get -q update; \
        apt-get -q install -y --no-install-recommends $packages; \
        rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY . .
# The Swift runtime is linked statically, so the runtime stage needs only Debian's C libraries.
# Stripped (145 MB with debug info, 73 MB without): the image has no backtracer or debugger to
# read the symbols anyway; the unstripped binary stays in the build stage.
RUN set -eu; \
    swift build -c release --static-swift-stdlib --product dapr-rocketmq $SWIFT_BUILD_FLAGS; \
    bin="$(swift build -c release --static-swift-stdlib --product dapr-rocketmq $SWIFT_BUILD_FLAGS --show-bin-path)"; \
    mkdir -p /out; \
    strip -o /out/dapr-rocketmq "$bin/dapr-rocketmq"

# ---- runtime ----------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
# The shared libraries the release binary loads (found with ldd and dpkg -S): libgrpc29 (libgrpc,
# libgpr; it brings libabsl, c-ares, re2 and libssl3), libprotobuf-c1 and zlib1g; libstdc++6,
# libgcc-s1 and libc6 are in every Debian base. ca-certificates is no library: it is the trust
# store for https:// endpoints of the HTTP access protocol (accessProto: http).
RUN set -eu; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get -q update; \
    apt-get -q install -y --no-install-recommends libgrpc29 libprotobuf-c1 zlib1g ca-certificates; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log
# A non-root user; 65532 is the uid daprd's own (distroless nonroot) image runs as. The socket
# is made world-connectable (0666) by the component, so daprd may run as any user.
RUN set -eu; \
    groupadd --gid 65532 dapr-rocketmq; \
    useradd -K UID_MAX=65535 --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin dapr-rocketmq; \
    mkdir -p /tmp/dapr-components-sockets; \
    chown 65532:65532 /tmp/dapr-components-sockets; \
    chmod 0755 /tmp/dapr-components-sockets
COPY --from=build /out/dapr-rocketmq /usr/local/bin/dapr-rocketmq
# The socket folder daprd reads (DAPR_COMPONENTS_SOCKETS_FOLDER overrides it); share it as a volume.
VOLUME ["/tmp/dapr-components-sockets"]
USER 65532:65532
# SIGTERM: the component stops serving, removes its socket and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dapr-rocketmq"]
