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
