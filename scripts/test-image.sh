#!/usr/bin/env bash
# Builds the container image (the top-level Dockerfile) with podman and smoke-tests it: the
# container starts with a temporary host folder bind-mounted as its socket folder, the socket
# rocketmq.sock appears there and answers (grpcurl's `list` through server reflection when grpcurl
# is on PATH, else a plain Unix-socket connect), the binary's shared libraries are all found in
# the image, and SIGTERM (`podman stop`) ends it with exit code 0 and the socket removed.
#
# usage: scripts/test-image.sh [--public | --offline] [--commit REV] [--tag NAME]
#
#   --public    build as users do: the public Swift and Debian images, packages from GitHub.
#   --offline   build with no image registry: a Debian base made by debootstrap, a builder image
#               with this machine's Swift toolchain, and the package checkouts of a local resolve
#               in the build context (see below).
#               Without either, --public is used when the public registry answers, else --offline.
#   --commit REV  build the files of a commit (git archive) instead of the working tree.
#   --tag NAME  the image's name (default dapr-rocketmq:latest); it is kept, as are the offline
#               base and builder images, which later runs reuse.
#
# Needs root (or sudo): it installs podman, runc and debootstrap from Debian's packages if they
# are missing, and runs podman as root with a containers.conf of its own (a temporary file named
# by CONTAINERS_CONF; the machine's /etc/containers is left alone): runc as the runtime (crun 1.8
# refuses cgroups in hybrid mode) and default ulimits no higher than the engine may set.
set -euo pipefail
export LC_ALL=C  # a decimal point in $EPOCHREALTIME and awk
if [ "$(id -u)" -ne 0 ]; then
  exec sudo env "PATH=$PATH" "$0" "$@"
fi
cd "$(dirname "$0")/.."
repo=$(pwd)

mode=auto
commit=""
tag=dapr-rocketmq:latest
while [ $# -gt 0 ]; do
  case "$1" in
    --public) mode=public ;;
    --offline) mode=offline ;;
    --commit) [ $# -ge 2 ] || { echo "--commit needs a revision" >&2; exit 2; }; commit=$2; shift ;;
    --tag) [ $# -ge 2 ] || { echo "--tag needs a name" >&2; exit 2; }; tag=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

started=$EPOCHREALTIME
mark=$started
# Seconds since $1, one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "==> $* (at $(since "$started") s)"; }
phase_times=()
phase_done() { phase_times+=("$1: $(since "$mark") s"); mark=$EPOCHREALTIME; }

# ---- tools ----------------------------------------------------------------------------------
needed=(podman runc)
[ "$mode" = public ] || needed+=(debootstrap)
missing=()
for package in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dapr-rocketmq-image.XXXXXX")
container=""
cleanup() {
  local status=$?
  if [ -n "$container" ]; then
    podman rm --force --time 0 "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# podman's settings for this run only.
# Without CAP_SYS_RESOURCE a container's limits may not exceed the engine's own: open files as
# this shell's hard limit, processes also no more than the kernel's pid_max (podman's processes
# run with that; seen here: hard limit 96553, pid_max 32768, and only 32768 was accepted).
hard_limit() { local value=$1 cap=$2; { [ "$value" = unlimited ] || [ "$value" -gt "$cap" ]; } && value=$cap; echo "$value"; }
nofile=$(hard_limit "$(ulimit -Hn)" 1048576)
nproc=$(hard_limit "$(ulimit -Hu)" "$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)")
cat > "$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"
podman info >/dev/null

if [ "$mode" = auto ]; then
  if timeout 30 podman manifest inspect docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
    mode=public
  else
    mode=offline
    echo "The public image registry cannot be reached: building offline."
    if ! command -v debootstrap >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
  fi
fi
echo "Mode: $mode; image: $tag"
phase_done "tools"

# The build context's files: the working tree (tracked and untracked files that git does not
# ignore) or the files of --commit. Copied into $1.
copy_sources() {
  local into=$1
  mkdir -p "$into"
  if [ -n "$commit" ]; then
    git -C "$repo" archive --format=tar "$commit" | tar -C "$into" -xf -
  else
    git -C "$repo" ls-files -z --cached --others --exclude-standard \
      | while IFS= read -r -d '' file; do [ -e "$repo/$file" ] && printf '%s\0' "$file"; done \
      | tar -C "$repo" --null -T - -cf - | tar -C "$into" -xf -
  fi
}

build_args=()
if [ "$mode" = public ]; then
  if [ -n "$commit" ]; then
    context="$work/context"
    copy_sources "$context"
  else
    context="$repo"
  fi
else
  # ---- offline: the base image ------------------------------------------------------------
  base=localhost/debian:bookworm-slim
  if podman image exists "$base"; then
    echo "Base image $base: present, reused."
  else
    step "making $base with debootstrap"
    # The Debian mirror and suites this machine's apt uses (DEBIAN_MIRROR overrides the mirror).
    # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
    mirror=${DEBIAN_MIRROR:-$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Created-By: Packages' \
      | awk '$1 == "bookworm" { print $2; exit }')}
    [ -n "$mirror" ] || { echo "no bookworm mirror in apt's sources; set DEBIAN_MIRROR" >&2; exit 1; }
    rootfs="$work/rootfs"
    nice -n 15 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    # Slim as the public debian:bookworm-slim is: no package caches or lists, no documentation,
    # manual pages or translations, and dpkg told to leave them out of later installs too.
    if [ ! -d "$rootfs/usr/share" ]; then echo "debootstrap made no root file system" >&2; exit 1; fi
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
      > "$rootfs/etc/dpkg/dpkg.cfg.d/slim"
    printf '%s\n' 'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' > "$rootfs/etc/apt/apt.conf.d/slim-no-cache"
    find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    for folder in man groff info lintian linda locale; do
      if [ -d "$rootfs/usr/share/$folder" ]; then find "$rootfs/usr/share/$folder" -mindepth 1 -delete; fi
    done
    rm -f "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/dpkg.log \
      "$rootfs"/var/log/bootstrap.log "$rootfs"/var/log/apt/*
    find "$rootfs/var/lib/apt/lists" -mindepth 1 -maxdepth 1 -type f -delete
    # apt inside the image reads the same sources (bookworm, its updates and security suites).
    # shellcheck disable=SC2016
    mapfile -t source_files < <(apt-get indextargets --format '$(RELEASE) $(SOURCESENTRY)' 'Created-By: Packages' \
      | awk '$1 ~ /^bookworm/ { sub(/:[0-9]+$/, "", $2); print $2 }' | sort -u)
    if [ ${#source_files[@]} -gt 0 ]; then
      rm -f "$rootfs/etc/apt/sources.list"
      for file in "${source_files[@]}"; do
        case "$file" in
          *.sources) cp "$file" "$rootfs/etc/apt/sources.list.d/" ;;
          *) cp "$file" "$rootfs/etc/apt/sources.list.d/host-$(basename "$file" .list).list" ;;
        esac
      done
    fi
    tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
    rm -rf "$rootfs"
  fi
  phase_done "base image"

  # ---- offline: the builder image ---------------------------------------------------------
  # This machine's Swift toolchain: the folder that holds usr/bin/swiftc.
  swiftc_path=$(readlink -f "$(command -v swiftc || command -v swift)")
  swift_prefix=$(dirname "$(dirname "$(dirname "$swiftc_path")")")
  [ -x "$swift_prefix/usr/bin/swiftc" ] || { echo "no Swift toolchain found (swiftc on PATH)" >&2; exit 1; }
  swift_version=$("$swift_prefix/usr/bin/swiftc" --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -1)
  builder=localhost/dapr-rocketmq-builder:swift-${swift_version:-unknown}
  if podman image exists "$builder"; then
    echo "Builder image $builder: present, reused."
  else
    step "making $builder (Swift $swift_version from the machine's toolchain)"
    nice -n 15 podman build --network=host --pull=never --layers=false \
      --build-arg BASE_IMAGE="$base" -v "$swift_prefix:/mnt/swift:ro" \
      -f scripts/image/builder.Dockerfile -t "$builder" scripts/image
  fi
  phase_done "builder image"

  # ---- offline: the build context ---------------------------------------------------------
  # SwiftPM cannot fetch inside the build container here, so the context carries the package
  # checkouts: a resolve in the staging folder (seeded with the local build's copies when there
  # are some, so it is quick) writes .build/checkouts, .build/repositories,
  # .build/workspace-state.json and Package.resolved, and the build runs with
  # --disable-automatic-resolution. The ignore file is left out: it excludes exactly these.
  step "staging the build context"
  context="$work/context"
  copy_sources "$context"
  rm -f "$context/.dockerignore" "$context/.containerignore"
  if [ -z "$commit" ] && [ -f "$repo/Package.resolved" ]; then
    cp "$repo/Package.resolved" "$context/"
  fi
  if [ -f "$repo/.build/workspace-state.json" ] && [ -d "$repo/.build/repositories" ] && [ -d "$repo/.build/checkouts" ]; then
    mkdir -p "$context/.build"
    cp -a "$repo/.build/repositories" "$repo/.build/checkouts" "$repo/.build/workspace-state.json" "$context/.build/"
  fi
  (cd "$context" && nice -n 15 swift package resolve >"$work/resolve.log" 2>&1) \
    || { cat "$work/resolve.log" >&2; exit 1; }
  find "$context/.build" -mindepth 1 -maxdepth 1 \
    ! -name checkouts ! -name repositories ! -name workspace-state.json -exec rm -rf {} +
  build_args=(--pull=never
    --build-arg BUILDER_IMAGE="$builder"
    --build-arg RUNTIME_IMAGE="$base"
    --build-arg SWIFT_BUILD_FLAGS=--disable-automatic-resolution)
  phase_done "build context"
fi

# ---- the image ------------------------------------------------------------------------------
step "building $tag"
previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
nice -n 15 podman build --network=host --layers=false "${build_args[@]}" \
  -f "$repo/Dockerfile" -t "$tag" "$context"
image_id=$(podman image inspect --format '{{.Id}}' "$tag")
if [ -n "$previous" ] && [ "$previous" != "$image_id" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true  # the previous build of this tag, now untagged
fi
image_size=$(podman image inspect --format '{{.Size}}' "$tag")
phase_done "image build"

# ---- the smoke test -------------------------------------------------------------------------
step "checking the binary's shared libraries in the image"
libraries=$(podman run --rm --network=none --entrypoint /usr/bin/ldd "$tag" /usr/local/bin/dapr-rocketmq)
if grep -q "not found" <<<"$libraries"; then
  echo "$libraries" >&2
  echo "FAIL: shared libraries missing in the image" >&2
  exit 1
fi

step "starting the container"
sockets="$work/sockets"
mkdir "$sockets"
chmod 1777 "$sockets"  # the image's user is not root (an emptyDir in Kubernetes is also 0777)
socket="$sockets/rocketmq.sock"
container="dapr-rocketmq-test-$$"
run_started=$EPOCHREALTIME
podman run --detach --name "$container" --network=none \
  -v "$sockets:/tmp/dapr-components-sockets" "$tag" >/dev/null

# Polls (bounded) until the socket exists and accepts a connection; fails at once if the
# container stops first.
connects() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
try:
    s.connect(sys.argv[1])
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
deadline=$(awk -v now="$EPOCHREALTIME" 'BEGIN { printf "%.3f", now + 60 }')
until [ -S "$socket" ] && connects "$socket"; do
  if [ "$(podman inspect --format '{{.State.Running}}' "$container")" != true ]; then
    podman logs "$container" >&2 || true
    echo "FAIL: the container stopped before its socket answered" >&2
    exit 1
  fi
  if awk -v now="$EPOCHREALTIME" -v end="$deadline" 'BEGIN { exit !(now > end) }'; then
    podman logs "$container" >&2 || true
    echo "FAIL: no socket answered at $socket within 60 s" >&2
    exit 1
  fi
  sleep 0.1
done
ready_after=$(since "$run_started")
echo "Socket answered $ready_after s after podman run."

owner=$(stat -c %u "$socket")
[ "$owner" -ne 0 ] || { echo "FAIL: the socket belongs to root; the image should run as its own user" >&2; exit 1; }
echo "Socket owner uid: $owner (not root)."

if command -v grpcurl >/dev/null; then
  services=$(grpcurl -plaintext -max-time 10 -unix "$socket" list)
  while IFS= read -r service; do echo "  $service"; done <<<"$services"
  for service in dapr.proto.components.v1.InputBinding dapr.proto.components.v1.OutputBinding; do
    grep -qx "$service" <<<"$services" || { echo "FAIL: grpcurl list does not show $service" >&2; exit 1; }
  done
else
  echo "(grpcurl is not on PATH: checked the connection only)"
fi

step "stopping it with SIGTERM"
stop_started=$EPOCHREALTIME
podman stop --time 15 "$container" >/dev/null
stopped_after=$(since "$stop_started")
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
echo "Stopped in $stopped_after s, exit code $exit_code."
if [ "$exit_code" -ne 0 ]; then
  podman logs "$container" >&2 || true
  echo "FAIL: exit code $exit_code after SIGTERM (137 means it was killed after the 15 s grace)" >&2
  exit 1
fi
if [ -e "$socket" ]; then
  echo "FAIL: the socket is still there after the container stopped" >&2
  exit 1
fi
podman rm "$container" >/dev/null
container=""
phase_done "smoke test"

echo
echo "PASS: $tag ($mode build), $(awk -v b="$image_size" 'BEGIN { printf "%.1f MB", b / 1e6 }'), socket answered in $ready_after s, SIGTERM exit 0 in $stopped_after s, socket removed."
printf '  %s\n' "${phase_times[@]}"
echo "Took $(since "$started") s in all."
