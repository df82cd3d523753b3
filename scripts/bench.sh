#!/usr/bin/env bash
# Every benchmark under test/bench, one after another; each prints its tables and writes test-results/bench/*.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup/lib.sh
source scripts/setup/lib.sh
ensure_npm_deps
status=0
for bench in test/bench/*.bench.ts; do
  log "== $bench"
  npx tsx "$bench" || { log "== $bench FAILED"; status=1; }
done
exit "$status"
