#!/usr/bin/env bash
# A third Docker engine whose data root is a small filesystem, for the tests of a remote engine that runs out of disk
# (test/integration/docker/remote-disk-full.test.ts). Like the second engine (docker-remote.sh, which must run first:
# this one uses its TLS certificates) it is reached only over TCP on loopback with mutual TLS and holds its own copy
# of the sandbox image; unlike it, everything it stores (images, volumes, containers' writable layers) lives on a
# 1.5 GiB ext4 filesystem in a sparse image file, loop-mounted at $ROOT/data, so a test can fill it up.
# Idempotent: a mounted filesystem and a running engine that answers are left as they are; after a reboot the image
# is mounted again and the engine restarted. It never stops or changes the other engines; it has a bridge of its own.
#
# Afterwards, reach it with:
#   DOCKER_HOST=tcp://127.0.0.1:23764 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/var/lib/hangar-docker2/client docker info
set -euo pipefail
# shellcheck source=scripts/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="${HANGAR_DOCKER_SMALL_ROOT:-/var/lib/hangar-docker-small}"
PORT="${HANGAR_DOCKER_SMALL_PORT:-23764}"
CERTS_ROOT="${HANGAR_DOCKER2_ROOT:-/var/lib/hangar-docker2}"
# Room for the sandbox image (about 540 MB unpacked) and a few sessions; the tests fill the rest themselves.
DISK_SIZE=1536M
BRIDGE=hgr2
BRIDGE_CIDR=172.31.1.1/24
IMAGE="${HANGAR_SANDBOX_IMAGE:-hangar-sandbox:latest}"
TLS="$CERTS_ROOT/tls"
CLIENT="$CERTS_ROOT/client"
DISK="$ROOT/disk.ext4"
DATA="$ROOT/data"
start="$(now)"

remote() { DOCKER_HOST="tcp://127.0.0.1:$PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$CLIENT" docker "$@"; }

# The small filesystem: made once (root may use all of it: -m 0, as dockerd runs as root), mounted when it is not.
ensure_disk() {
  if mountpoint -q "$DATA"; then
    [ "$(findmnt -n -o FSTYPE "$DATA")" = ext4 ] || die "$DATA is a mount point but not the small ext4 filesystem; unmount it and run this again" 8
    return 0
  fi
  require_root "mounting the small-disk engine's filesystem"
  mkdir -p "$ROOT" "$DATA"
  if [ ! -s "$DISK" ]; then
    log "making a $DISK_SIZE ext4 filesystem in $DISK"
    truncate -s "$DISK_SIZE" "$DISK"
    mkfs.ext4 -q -F -m 0 -L hangar-small "$DISK" || die "mkfs.ext4 $DISK failed" 8
  fi
  log "mounting $DISK at $DATA"
  mount -o loop "$DISK" "$DATA" || die "mounting $DISK at $DATA failed (the loop device needs root and /dev/loop-control)" 8
}

engine_running() { remote version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_engine() {
  [ -s "$TLS/server-key.pem" ] && [ -s "$CLIENT/key.pem" ] || die "no TLS certificates in $TLS: run scripts/setup/docker-remote.sh first" 5
  start_tls_dockerd "$ROOT" "$DATA" "$PORT" "$BRIDGE" "$BRIDGE_CIDR" "$TLS" engine_running
  local driver
  driver="$(remote info --format '{{.Driver}}')"
  [ "$driver" = overlay2 ] || die "the small-disk engine uses the storage driver $driver, not overlay2 (log: $ROOT/dockerd.log)" 6
}

ensure_disk
engine_running || start_engine
copy_image "$IMAGE" remote "the small-disk engine" replace
log "small-disk docker engine ready on tcp://127.0.0.1:$PORT (TLS; client certificates: $CLIENT; $(df -h --output=avail "$DATA" | tail -1 | tr -d ' ') free of $DISK_SIZE) ($(elapsed "$start") s)"
