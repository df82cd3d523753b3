#!/usr/bin/env bash
# The main job: `npm start` runs a real agent session. With no task it runs the bundled demo (sample repository,
# built-in scripted model, no key needed); with a task it runs the agent on the repository npm was started in,
# using ANTHROPIC_API_KEY. Installs npm dependencies and builds first (both skipped when up to date).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup/lib.sh
source scripts/setup/lib.sh
ensure_npm_deps
node esbuild.mjs >/dev/null
if [ "$#" -eq 0 ]; then
  exec node bin/hangar.js demo
fi
exec node bin/hangar.js run --repo "${INIT_CWD:-$PWD}" "$@"
