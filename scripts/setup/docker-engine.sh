#!/usr/bin/env bash
# Makes a Docker engine answer on this machine: installs Debian's docker.io and starts
# dockerd detached when `docker info` does not already work. Idempotent.
set -euo pipefail
# shellcheck source=scripts/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG="${HANGAR_DOCKERD_LOG:-/tmp/hangar-dockerd.log}"
WAIT_SECONDS=30
start="$(now)"

engine_version() { docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null; }

# The devcontainer feature tests push features to an OCI registry on loopback: Debian's docker-registry (the tests
# start their own instance; the package's service is not used).
if ! command -v docker-registry >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt_install docker-registry; else log "docker-registry is missing (devcontainer feature tests need it): sudo apt-get install docker-registry"; fi
fi

if docker info >/dev/null 2>&1; then
  log "docker engine already running: $(engine_version) ($(elapsed "$start") s)"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  apt_install docker.io
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io" 5
# The machine may ship a newer client elsewhere on PATH; it negotiates the API down.
command -v docker >/dev/null 2>&1 || die "docker client not found" 5

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is already starting (pid $(pgrep -x dockerd | head -n1)); waiting for it"
else
  require_root "starting dockerd"
  log "starting dockerd (log: $DOCKERD_LOG)"
  setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  log "dockerd pid $!"
fi

for _ in $(seq 1 $((WAIT_SECONDS * 4))); do
  if docker info >/dev/null 2>&1; then
    log "docker engine ready: $(engine_version) ($(elapsed "$start") s)"
    exit 0
  fi
  sleep 0.25
done
tail -n 20 "$DOCKERD_LOG" >&2 || true
die "docker engine did not answer within ${WAIT_SECONDS} s (log: $DOCKERD_LOG)" 6
