#!/usr/bin/env bash
# Installs a real VS Code for the UI and extension-host tests without downloading it from
# the internet: code-server from the npm registry (it ships VS Code's server and workbench)
# into <repo>/.cache/code-server, plus Debian's chromium to drive it. Then checks that the
# workbench renders. Skips whatever is already in place.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/setup/lib.sh
source "$HERE/lib.sh"

ROOT="$(cd "$HERE/../.." && pwd)"
# Newest code-server whose engines accept Node 20 (VS Code 1.100.3).
CODE_SERVER_VERSION=4.100.3
CS_DIR="${HANGAR_CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
PKG_DIR="$CS_DIR/node_modules/code-server"
SERVER_MAIN="$PKG_DIR/lib/vscode/out/server-main.js"
INSTALLED_MARK="$CS_DIR/.hangar-installed"
CHECKED_MARK="$CS_DIR/.hangar-checked"
start="$(now)"

command -v node >/dev/null || die "node is not installed (Node 20 is required)" 2
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || die "code-server $CODE_SERVER_VERSION needs Node 20; found $(node --version)" 2

if [ "$(cat "$INSTALLED_MARK" 2>/dev/null)" = "$CODE_SERVER_VERSION" ] && [ -f "$SERVER_MAIN" ]; then
  log "code-server $CODE_SERVER_VERSION already installed in $CS_DIR"
else
  rm -f "$INSTALLED_MARK" "$CHECKED_MARK"
  # Native modules (node-pty, kerberos, spdlog, argon2, ...) compile with node-gyp.
  apt_install libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep g++ make python3 pkg-config

  mkdir -p "$CS_DIR"
  # A project of its own, so npm never touches the repository's package.json or node_modules.
  cat >"$CS_DIR/package.json" <<JSON
{
  "private": true,
  "description": "Cache of a real VS Code for Hangar's tests; written by scripts/setup/vscode.sh",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server@$CODE_SERVER_VERSION": true, "argon2": true }
}
JSON
  export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

  phase="$(now)"
  log "npm: fetching code-server@$CODE_SERVER_VERSION into $CS_DIR (scripts deferred)"
  (cd "$CS_DIR" && npm install --ignore-scripts) >/tmp/hangar-code-server-npm.log 2>&1 \
    || { tail -n 30 /tmp/hangar-code-server-npm.log >&2; die "npm install of code-server failed (log: /tmp/hangar-code-server-npm.log)" 11; }
  log "npm: fetched in $(elapsed "$phase") s"

  # @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds a cached archive at
  # $TMPDIR/vscode-ripgrep-cache-<pkg version>/ripgrep-<rg version>-<target>.tar.gz. Debian's
  # rg in such an archive satisfies it. Versions come from the packages npm resolved.
  case "$(uname -m)" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64) rg_target=aarch64-unknown-linux-musl ;;
    *) die "no ripgrep cache recipe for architecture $(uname -m)" 12 ;;
  esac
  export TMPDIR="$CS_DIR/tmp"
  mkdir -p "$TMPDIR"
  mapfile -t rg_pkg_versions < <(node -e '
    const fs = require("node:fs");
    const versions = new Set();
    for (const file of process.argv.slice(1)) {
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")).packages ?? {};
      for (const [path, info] of Object.entries(pkg))
        if (path.endsWith("node_modules/@vscode/ripgrep") && info.version) versions.add(info.version);
    }
    console.log([...versions].join("\n"));
  ' "$PKG_DIR/lib/vscode/npm-shrinkwrap.json" "$PKG_DIR/lib/vscode/extensions/npm-shrinkwrap.json")
  if [ "${#rg_pkg_versions[@]}" -eq 0 ] || [ -z "${rg_pkg_versions[0]}" ]; then
    die "could not find @vscode/ripgrep in code-server's npm-shrinkwrap.json files" 12
  fi
  for rg_pkg in "${rg_pkg_versions[@]}"; do
    (cd "$TMPDIR" && npm pack --silent "@vscode/ripgrep@$rg_pkg" >/dev/null 2>&1) \
      || die "npm pack @vscode/ripgrep@$rg_pkg failed" 12
    rg_version="$(tar -xzOf "$TMPDIR/vscode-ripgrep-$rg_pkg.tgz" package/lib/postinstall.js \
      | sed -n "s/^const VERSION = '\([^']*\)'.*/\1/p")"
    [ -n "$rg_version" ] || die "no ripgrep VERSION in @vscode/ripgrep@$rg_pkg's postinstall.js" 12
    cache="$TMPDIR/vscode-ripgrep-cache-$rg_pkg"
    mkdir -p "$cache"
    tar -C /usr/bin -czf "$cache/ripgrep-$rg_version-$rg_target.tar.gz" rg
    log "ripgrep cache: $cache/ripgrep-$rg_version-$rg_target.tar.gz (Debian's rg)"
  done

  phase="$(now)"
  log "npm: running install scripts (builds VS Code's native modules; about a minute)"
  (cd "$CS_DIR" && npm rebuild --unsafe-perm) >/tmp/hangar-code-server-build.log 2>&1 \
    || { tail -n 40 /tmp/hangar-code-server-build.log >&2; die "code-server install scripts failed (log: /tmp/hangar-code-server-build.log)" 11; }
  log "npm: install scripts done in $(elapsed "$phase") s"
  rm -rf "$TMPDIR"
  unset TMPDIR

  [ -f "$SERVER_MAIN" ] || die "code-server installed but $SERVER_MAIN is missing" 11
  [ -x "$PKG_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
    || die "VS Code's ripgrep binary is missing; the cache trick did not apply" 12
  echo "$CODE_SERVER_VERSION" >"$INSTALLED_MARK"
fi

if [ -x /usr/bin/chromium ]; then
  log "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
else
  apt_install chromium
  [ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing" 13
  log "installed $(/usr/bin/chromium --version 2>/dev/null)"
fi

if [ "$(cat "$CHECKED_MARK" 2>/dev/null)" = "$CODE_SERVER_VERSION" ] && [ "${HANGAR_VSCODE_RECHECK:-0}" != 1 ]; then
  log "workbench check passed earlier (HANGAR_VSCODE_RECHECK=1 runs it again)"
else
  phase="$(now)"
  log "checking that the workbench renders in headless chromium"
  node "$HERE/check-vscode.mjs" "$PKG_DIR" || die "VS Code workbench check failed" 14
  echo "$CODE_SERVER_VERSION" >"$CHECKED_MARK"
  log "workbench check passed in $(elapsed "$phase") s"
fi

log "VS Code ready in $(elapsed "$start") s"
log "server: $SERVER_MAIN"
