# Shared helpers for the machine-setup scripts; sourced, never run directly.
# Callers set `set -euo pipefail` themselves.

log() { printf '[setup] %s\n' "$*"; }

die() {
  local code="${2:-1}"
  printf '[setup] ERROR: %s\n' "$1" >&2
  exit "$code"
}

now() { date +%s.%N; }

# Seconds since a timestamp taken with `now`, one decimal.
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 must run as root (it installs Debian packages)" 3
}

# Runs a check (the remaining arguments) every 0.25 s until it succeeds; after `seconds` shows the end of `logfile`
# and fails with `message`.
wait_until() {
  local seconds="$1" logfile="$2" message="$3"
  shift 3
  for _ in $(seq 1 $((seconds * 4))); do
    "$@" && return 0
    sleep 0.25
  done
  tail -n 20 "$logfile" >&2 || true
  die "$message" 6
}

# Extra Docker engines on this machine (docker-remote.sh, docker-small-disk.sh), stand-ins for remote ones: each has
# its own roots and a bridge of its own (a dockerd started with `--bridge none` deletes the host's docker0), and is
# reached over mutual TLS on a loopback port.

ensure_bridge() {
  local name="$1" cidr="$2"
  ip link show "$name" >/dev/null 2>&1 && return 0
  log "creating bridge $name ($cidr)"
  ip link add name "$name" type bridge
  ip addr add "$cidr" dev "$name"
  ip link set "$name" up
}

# start_tls_dockerd ROOT DATA_ROOT PORT BRIDGE CIDR TLS_DIR ANSWERS: starts a dockerd detached (exec root, pid file,
# unix socket and log under ROOT; server certificates ca.pem, server-cert.pem, server-key.pem in TLS_DIR), or waits for
# one starting already, until the command ANSWERS succeeds.
start_tls_dockerd() {
  local root="$1" data="$2" port="$3" bridge="$4" cidr="$5" tls="$6" answers="$7" pid
  require_root "starting the dockerd on tcp://127.0.0.1:$port"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run scripts/setup/docker-engine.sh first" 5
  if [ -s "$root/dockerd.pid" ] && pid="$(cat "$root/dockerd.pid")" && kill -0 "$pid" 2>/dev/null; then
    log "the dockerd on tcp://127.0.0.1:$port (pid $pid) is starting; waiting for it"
  else
    mkdir -p "$data" "$root/exec"
    ensure_bridge "$bridge" "$cidr"
    log "starting a dockerd on tcp://127.0.0.1:$port (log: $root/dockerd.log)"
    setsid nohup dockerd --data-root "$data" --exec-root "$root/exec" --pidfile "$root/dockerd.pid" \
      -H "tcp://127.0.0.1:$port" -H "unix://$root/docker.sock" --bridge "$bridge" --iptables=false --ip6tables=false \
      --tlsverify --tlscacert "$tls/ca.pem" --tlscert "$tls/server-cert.pem" --tlskey "$tls/server-key.pem" \
      >"$root/dockerd.log" 2>&1 </dev/null &
  fi
  wait_until 30 "$root/dockerd.log" "the dockerd on tcp://127.0.0.1:$port did not answer within 30 s (log: $root/dockerd.log)" "$answers"
}

# copy_image IMAGE CLI NAME [replace]: the main engine's IMAGE into the engine NAME that the command CLI (a docker CLI
# for it) reaches, as one loads an image into any engine that cannot pull it; a rebuilt image is loaded again, and with
# `replace` the stale build is removed first (an engine on a small disk holds one build, not every one).
copy_image() {
  local image="$1" cli="$2" name="$3" replace="${4:-}" want have
  want="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null)" || die "the main engine has no $image: run sandbox/build-image.sh first" 7
  have="$("$cli" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  [ "$want" = "$have" ] && return 0
  if [ -n "$have" ] && [ "$replace" = replace ]; then
    log "removing the stale $image from $name"
    "$cli" image rm -f "$image" >/dev/null
  fi
  log "loading $image into $name"
  docker save "$image" | "$cli" load -q >/dev/null || die "loading $image into $name failed (is its disk full? \`docker system df\` against it says)" 7
}

# Packages from the list that dpkg does not report as installed.
missing_debs() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -qx installed || printf '%s\n' "$pkg"
  done
}

# True when apt knows an installable version of every package given.
apt_has_candidates() {
  local pkg cand
  for pkg in "$@"; do
    cand="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
    [ -n "$cand" ] && [ "$cand" != "(none)" ] || return 1
  done
}

# Installs the Debian packages that are missing. `apt-get update` runs only when the
# package lists do not know a package or the first install attempt fails (stale lists
# point at files the mirror no longer has).
apt_install() {
  local missing
  mapfile -t missing < <(missing_debs "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  require_root "installing ${missing[*]}"
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other setup runs may hold the dpkg lock; wait for them instead of failing.
  local apt=(apt-get -o DPkg::Lock::Timeout=600)
  if ! apt_has_candidates "${missing[@]}"; then
    log "apt: package lists lack some of them; running apt-get update"
    "${apt[@]}" update -qq || die "apt-get update failed" 4
  fi
  if ! "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hangar-apt.log 2>&1; then
    log "apt: install failed; refreshing package lists and retrying"
    "${apt[@]}" update -qq || die "apt-get update failed" 4
    "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hangar-apt.log 2>&1 \
      || { tail -n 20 /tmp/hangar-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/hangar-apt.log)" 4; }
  fi
}


# npm ci, but only when package-lock.json changed since the last install (a second run costs nothing).
ensure_npm_deps() {
  local lock_hash
  lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f node_modules/.hangar-lock ] || [ "$(cat node_modules/.hangar-lock)" != "$lock_hash" ]; then
    log "installing npm dependencies"
    npm ci --no-audit --no-fund || die "npm ci failed" 20
    echo "$lock_hash" > node_modules/.hangar-lock
  fi
}
