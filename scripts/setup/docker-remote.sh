#!/usr/bin/env bash
# A second Docker engine on this machine that the tests treat as a remote one: its own data root, exec root, bridge
# and pid file, reached only over TCP on loopback with mutual TLS (certificates made here with openssl), and holding
# its own copy of the sandbox image (`docker save | docker load`, as one loads an image into any remote engine that
# cannot pull it). Idempotent: a running engine that answers is left as it is. It never stops or changes the main
# engine; give it a bridge of its own, because a second dockerd with `--bridge none` deletes docker0.
#
# Afterwards, reach it with:
#   DOCKER_HOST=tcp://127.0.0.1:23760 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/var/lib/hangar-docker2/client docker info
set -euo pipefail
# shellcheck source=scripts/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="${HANGAR_DOCKER2_ROOT:-/var/lib/hangar-docker2}"
PORT="${HANGAR_DOCKER2_PORT:-23760}"
BRIDGE=hgr1
BRIDGE_CIDR=172.31.0.1/24
IMAGE="${HANGAR_SANDBOX_IMAGE:-hangar-sandbox:latest}"
TLS="$ROOT/tls"
CLIENT="$ROOT/client"
start="$(now)"

remote() { DOCKER_HOST="tcp://127.0.0.1:$PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$CLIENT" docker "$@"; }

# A CA, a server certificate for 127.0.0.1/localhost and a client certificate, as `dockerd --tlsverify` wants them.
make_certs() {
  [ -s "$CLIENT/key.pem" ] && [ -s "$TLS/server-key.pem" ] && return 0
  log "making TLS certificates in $TLS and $CLIENT"
  mkdir -p "$TLS" "$CLIENT"
  chmod 700 "$TLS"
  local tmp
  tmp="$(mktemp -d)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hangar-docker2 CA" \
    -keyout "$TLS/ca-key.pem" -out "$TLS/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$TLS/server-key.pem" -out "$tmp/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tmp/server.ext"
  openssl x509 -req -days 3650 -in "$tmp/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem" -CAcreateserial \
    -extfile "$tmp/server.ext" -out "$TLS/server-cert.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=hangar-client" -keyout "$CLIENT/key.pem" -out "$tmp/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$tmp/client.ext"
  openssl x509 -req -days 3650 -in "$tmp/client.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem" -CAcreateserial \
    -extfile "$tmp/client.ext" -out "$CLIENT/cert.pem" 2>/dev/null
  cp "$TLS/ca.pem" "$CLIENT/ca.pem"
  chmod 644 "$CLIENT"/*.pem
  rm -rf "$tmp"
}

engine_running() { remote version --format '{{.Server.Version}}' >/dev/null 2>&1; }

make_certs
engine_running || start_tls_dockerd "$ROOT" "$ROOT/data" "$PORT" "$BRIDGE" "$BRIDGE_CIDR" "$TLS" engine_running
copy_image "$IMAGE" remote "the second engine"
log "second docker engine ready on tcp://127.0.0.1:$PORT (TLS; client certificates: $CLIENT) ($(elapsed "$start") s)"
