#!/usr/bin/env bash
# Builds the sandbox image hangar-sandbox:latest. Builds the offline base first unless
# BASE_IMAGE names another base (e.g. debian:bookworm-slim where a registry is reachable).
# Skips the build when the image carries the hash of the current build inputs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/setup/lib.sh
source "$HERE/../scripts/setup/lib.sh"

DEFAULT_BASE=hangar-base:bookworm
BASE_IMAGE="${BASE_IMAGE:-$DEFAULT_BASE}"
IMAGE="${HANGAR_SANDBOX_IMAGE:-hangar-sandbox:latest}"
SHA_LABEL=dev.hangar.dockerfile-sha
start="$(now)"

docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/setup/docker-engine.sh first" 6

if [ "$BASE_IMAGE" = "$DEFAULT_BASE" ]; then
  HANGAR_BASE_IMAGE="$DEFAULT_BASE" bash "$HERE/build-base.sh"
fi

# Hash of everything the image is built from: the Dockerfile, the package list and the base
# (by image id when it is local, so a rebuilt hangar-base yields a new sandbox image).
base_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
inputs_sha="$(
  { cat "$HERE/Dockerfile" "$HERE/packages.txt" "$HERE/.dockerignore"; printf 'base=%s@%s\n' "$BASE_IMAGE" "$base_id"; } \
    | sha256sum | cut -c1-64
)"

old_id="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
if [ -n "$old_id" ]; then
  have_sha="$(docker image inspect -f "{{ index .Config.Labels \"$SHA_LABEL\" }}" "$IMAGE" 2>/dev/null || true)"
  if [ "$have_sha" = "$inputs_sha" ]; then
    log "sandbox image $IMAGE is up to date ($(elapsed "$start") s)"
    exit 0
  fi
  log "sandbox image $IMAGE is out of date (Dockerfile, package list or base changed); rebuilding"
fi

log "docker build -t $IMAGE --build-arg BASE_IMAGE=$BASE_IMAGE $HERE"
build_log=/tmp/hangar-docker-build.log
docker build -t "$IMAGE" --build-arg "BASE_IMAGE=$BASE_IMAGE" --label "$SHA_LABEL=$inputs_sha" "$HERE" \
  >"$build_log" 2>&1 \
  || { tail -n 30 "$build_log" >&2; die "docker build of $IMAGE failed (log: $build_log)" 10; }

# The previous build is now untagged; drop it unless a container still uses it.
new_id="$(docker image inspect -f '{{.Id}}' "$IMAGE")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $IMAGE in $(elapsed "$start") s"
