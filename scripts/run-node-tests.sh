#!/usr/bin/env bash
# Runs every *.test.ts under the given folders with node's test runner (through tsx), on one of the
# Node versions of scripts/runtimes.json (default 24, the runtime of the current VS Code).
#   bash scripts/run-node-tests.sh [--node <20|22|24>] <folder>… [-- <node --test options>…]
# Node 20's `--test` does not expand glob patterns itself, so the files are listed here.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
major=24
folders=()
while (($# > 0)); do
  case "$1" in
    --node)
      major="$2"
      shift 2
      ;;
    --)
      shift
      break
      ;;
    -*) break ;;
    *)
      folders+=("$1")
      shift
      ;;
  esac
done
node_bin="$(bash "$root/scripts/runtimes.sh" node "$major")"
if [[ ! -x "$node_bin" ]]; then
  echo "run-node-tests: Node $major is not installed ($node_bin); run bash scripts/setup.sh" >&2
  exit 1
fi
mapfile -t files < <(find "${folders[@]}" -type f -name '*.test.ts' 2>/dev/null | sort)
if ((${#files[@]} == 0)); then
  echo "no test files under ${folders[*]}"
  exit 0
fi
echo "node $("$node_bin" -v) --test: ${folders[*]}"
# A test that hangs fails after 10 minutes, and a file whose tests are done exits even when something
# it started (a timer, a socket) is still open: a stuck test fails the run instead of stalling it.
exec "$node_bin" --import tsx --test --test-reporter=spec --test-timeout=600000 --test-force-exit "$@" "${files[@]}"
