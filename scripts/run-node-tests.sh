#!/usr/bin/env bash
# Runs every *.test.ts under a folder with node's test runner (through tsx).
# Node 20's `--test` does not expand glob patterns itself, so the files are listed here.
#   bash scripts/run-node-tests.sh <folder> [node --test options…]
set -euo pipefail

folder="$1"
shift
mapfile -t files < <(find "$folder" -type f -name '*.test.ts' 2>/dev/null | sort)
if ((${#files[@]} == 0)); then
  echo "no test files under $folder"
  exit 0
fi
exec node --import tsx --test --test-reporter=spec "$@" "${files[@]}"
