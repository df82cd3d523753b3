#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a prepared one: installs what it needs (npm deps, ripgrep, the Docker
# engine and sandbox image, a real VS Code and Chromium), builds, checks types and layering, then runs every suite.
# Ends with one line "hangar: N passed, N failed, N skipped" and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup/lib.sh
source scripts/setup/lib.sh

export HANGAR_TEST=1
results="test-results"
mkdir -p "$results"
: > "$results/summaries.txt"
failed_stages=()

stage() {
  local name="$1"
  shift
  log "== $name"
  local began
  began="$(now)"
  if "$@" 2>&1 | tee "$results/$name.log"; then
    log "== $name passed in $(elapsed "$began") s"
  else
    log "== $name FAILED in $(elapsed "$began") s"
    failed_stages+=("$name")
  fi
  grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$results/$name.log" | tail -1 >> "$results/summaries.txt" || true
}

# 1. Dependencies (npm ci only when the lock file changed since the last install).
ensure_npm_deps
if [ "$(id -u)" -eq 0 ]; then
  apt_install git ripgrep
fi
bash scripts/setup/all.sh || die "machine setup failed (see the [setup] lines above)" 21

# 2. Build and static checks.
stage build node esbuild.mjs
stage typecheck npx tsc -p . --noEmit
stage lint npx eslint .

# 3. Tests. Docker and VS Code are required: their absence fails these suites, never skips them.
stage unit npx mocha 'test/unit/**/*.test.ts'
stage integration npx mocha 'test/integration/**/*.test.ts'
stage vscode node test/e2e/run-extension-tests.mjs
stage ui node test/e2e/run-ui-tests.mjs

passed=0 failed=0 skipped=0
while read -r _ p _ f _ s _; do
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
done < <(sed -E 's/[,]//g' "$results/summaries.txt")
if [ "${#failed_stages[@]}" -gt 0 ]; then
  log "failed stages: ${failed_stages[*]}"
  [ "$failed" -gt 0 ] || failed=${#failed_stages[@]}
fi
echo "hangar: $passed passed, $failed failed, $skipped skipped"
[ "${#failed_stages[@]}" -eq 0 ]
