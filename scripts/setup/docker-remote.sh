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
WAIT_SECONDS=30
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

ensure_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
  log "creating bridge $BRIDGE ($BRIDGE_CIDR) for the second engine"
  ip link add name "$BRIDGE" type bridge
  ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

engine_running() { remote version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_engine() {
  require_root "starting the second dockerd"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run scripts/setup/docker-engine.sh first" 5
  local pid
  if [ -s "$ROOT/dockerd.pid" ] && pid="$(cat "$ROOT/dockerd.pid")" && kill -0 "$pid" 2>/dev/null; then
    log "second dockerd (pid $pid) is starting; waiting for it"
  else
    mkdir -p "$ROOT/data" "$ROOT/exec"
    ensure_bridge
    log "starting the second dockerd on tcp://127.0.0.1:$PORT (log: $ROOT/dockerd.log)"
    setsid nohup dockerd --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$ROOT/dockerd.pid" \
      -H "tcp://127.0.0.1:$PORT" -H "unix://$ROOT/docker.sock" --bridge "$BRIDGE" --iptables=false --ip6tables=false \
      --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/server-cert.pem" --tlskey "$TLS/server-key.pem" \
      >"$ROOT/dockerd.log" 2>&1 </dev/null &
  fi
  wait_until "$WAIT_SECONDS" "$ROOT/dockerd.log" "the second docker engine did not answer within ${WAIT_SECONDS} s (log: $ROOT/dockerd.log)" engine_running
}

# The sandbox image, as the main engine has it now (a rebuilt image is loaded again).
load_image() {
  local want have
  want="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null)" || die "the main engine has no $IMAGE: run sandbox/build-image.sh first" 7
  have="$(remote image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
  [ "$want" = "$have" ] && return 0
  log "loading $IMAGE into the second engine"
  docker save "$IMAGE" | remote load -q >/dev/null
}

make_certs
engine_running || start_engine
load_image
log "second docker engine ready on tcp://127.0.0.1:$PORT (TLS; client certificates: $CLIENT) ($(elapsed "$start") s)"
