#!/usr/bin/env bash
# Prepares a machine for Hangar's tests and CI: Docker engine, sandbox image, a second engine on loopback TLS and
# ssh (the remote-engine tests), a third one on a small disk (the out-of-disk tests), real VS Code.
# Every step is idempotent, so a second run only checks and takes about a second.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/setup/lib.sh
source "$HERE/lib.sh"

start="$(now)"
step() {
  local name="$1" began
  shift
  began="$(now)"
  log "== $name"
  "$@"
  log "== $name done in $(elapsed "$began") s"
}

step "docker engine" bash "$HERE/docker-engine.sh"
step "sandbox image" bash "$HERE/../../sandbox/build-image.sh"
step "second docker engine (remote-engine tests)" bash "$HERE/docker-remote.sh"
step "ssh to the second docker engine (remote-engine tests)" bash "$HERE/docker-ssh.sh"
step "small-disk docker engine (remote engine out of disk tests)" bash "$HERE/docker-small-disk.sh"
step "VS Code" bash "$HERE/vscode.sh"
log "machine ready in $(elapsed "$start") s"
