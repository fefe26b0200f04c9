#!/usr/bin/env bash
# The compatibility set: the end-to-end journeys marked `{ compat: true }` (activation, the
# Experiments view, a run with its live sparkline, Compare) and the package install, run in the
# oldest VS Code of `engines.vscode` (code-server 4.100.3, whose extension host is Node 20 and so
# opens the index with better-sqlite3). The whole suite runs in the current VS Code (`npm run test:e2e`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(grep -l 'compat: true' test/e2e/*.test.ts | sort)
export TRACKSIDE_E2E_VSCODE=minimum
echo "compatibility set on $(bash scripts/runtimes.sh code-server minimum | cut -d' ' -f1): ${files[*]} test/e2e/package.test.ts"
exec bash scripts/run-node-tests.sh "${files[@]}" test/e2e/package.test.ts -- --test-concurrency=1
