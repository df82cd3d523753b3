#!/usr/bin/env bash
# The second Docker engine (docker-remote.sh) reached over ssh, as `DOCKER_HOST=ssh://…` reaches an engine on
# another machine: an sshd of its own (Debian's openssh-server) listening only on 127.0.0.1 at a non-default port,
# key authentication only, with a client key made here. Its sessions have DOCKER_HOST pointing at the second engine's
# socket, so `docker system dial-stdio` (what Docker's CLI and Hangar run on the far side) reaches that engine.
# The client side is an ssh config file that names the host `hangar-docker-ssh` (port, key, known_hosts of its own;
# and `hangar-docker-ssh-wrong-key`, with a key the engine refuses, for tests), included from ~/.ssh/config of the
# user running this. The machine's own sshd (if any) is not touched, and installing the package never starts it.
# Idempotent: a running sshd that answers is left as it is.
#
# Afterwards, reach the engine with:
#   DOCKER_HOST=ssh://hangar-docker-ssh docker info
set -euo pipefail
# shellcheck source=scripts/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="${HANGAR_DOCKER2_ROOT:-/var/lib/hangar-docker2}"
PORT="${HANGAR_DOCKER2_SSH_PORT:-23762}"
ALIAS=hangar-docker-ssh
DIR="$ROOT/ssh"
USER_CONFIG="${HOME:-/root}/.ssh/config"
WAIT_SECONDS=15
start="$(now)"

# openssh-server without the package starting the machine's sshd on port 22 (a policy-rc.d refusal while it installs,
# unless the machine already has one).
install_sshd() {
  [ -x /usr/sbin/sshd ] && return 0
  local policy=/usr/sbin/policy-rc.d added=
  if [ ! -e "$policy" ]; then
    require_root "installing openssh-server"
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  apt_install openssh-server || { [ -n "$added" ] && rm -f "$policy"; exit 4; }
  [ -n "$added" ] && rm -f "$policy"
  [ -x /usr/sbin/sshd ] || die "sshd is missing after installing openssh-server" 5
}

make_keys() {
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  [ -s "$DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "hangar-docker2 host" -f "$DIR/host_ed25519"
  [ -s "$DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "hangar-docker2 client" -f "$DIR/client_ed25519"
  # A key the engine does not accept, for the tests of a refused login.
  [ -s "$DIR/wrong_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "hangar-docker2 refused" -f "$DIR/wrong_ed25519"
  cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"
  chmod 600 "$DIR/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1-2 "$DIR/host_ed25519.pub")" >"$DIR/known_hosts"
}

write_configs() {
  cat >"$DIR/sshd_config" <<EOF
# Written by scripts/setup/docker-ssh.sh: the second Docker engine over ssh, on loopback only.
ListenAddress 127.0.0.1
Port $PORT
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
SetEnv DOCKER_HOST=unix://$ROOT/docker.sock
EOF
  cat >"$DIR/config" <<EOF
# Written by scripts/setup/docker-ssh.sh: DOCKER_HOST=ssh://$ALIAS reaches the second Docker engine.
Host $ALIAS
  HostName 127.0.0.1
  Port $PORT
  User $(id -un)
  IdentityFile $DIR/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
Host $ALIAS-wrong-key
  HostName 127.0.0.1
  Port $PORT
  User $(id -un)
  IdentityFile $DIR/wrong_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  mkdir -p "$(dirname "$USER_CONFIG")"
  chmod 700 "$(dirname "$USER_CONFIG")"
  touch "$USER_CONFIG"
  if ! grep -qxF "Include $DIR/config" "$USER_CONFIG"; then
    log "adding 'Include $DIR/config' to $USER_CONFIG"
    # Include must come before any Host block to apply everywhere.
    { printf 'Include %s\n' "$DIR/config"; cat "$USER_CONFIG"; } >"$USER_CONFIG.hangar" && mv "$USER_CONFIG.hangar" "$USER_CONFIG"
  fi
  chmod 600 "$USER_CONFIG"
}

answers() { DOCKER_HOST="ssh://$ALIAS" timeout 20 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_sshd() {
  require_root "starting the loopback sshd"
  local pid
  if [ -s "$DIR/sshd.pid" ] && pid="$(cat "$DIR/sshd.pid")" && kill -0 "$pid" 2>/dev/null; then
    log "restarting the loopback sshd (pid $pid) with the current configuration"
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd rejects $DIR/sshd_config" 6
  log "starting sshd on 127.0.0.1:$PORT (log: $DIR/sshd.log)"
  /usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  wait_until "$WAIT_SECONDS" "$DIR/sshd.log" "the second docker engine does not answer over ssh://$ALIAS within ${WAIT_SECONDS} s (log: $DIR/sshd.log)" answers
}

[ -S "$ROOT/docker.sock" ] || die "the second docker engine is not running: run scripts/setup/docker-remote.sh first" 5
install_sshd
make_keys
write_configs
answers || start_sshd
log "second docker engine reachable as ssh://$ALIAS (127.0.0.1:$PORT, key $DIR/client_ed25519) ($(elapsed "$start") s)"
