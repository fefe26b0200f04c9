#!/usr/bin/env bash
# Where the runtimes of scripts/runtimes.json live once scripts/setup.sh has installed them.
#   bash scripts/runtimes.sh node <20|22|24>            the node binary of that major version
#   bash scripts/runtimes.sh node-version <20|22|24>    the pinned version
#   bash scripts/runtimes.sh exec <20|22|24> <args>…    runs that node with the arguments
#   bash scripts/runtimes.sh code-server <current|minimum> "<code-server version> <node binary> <entry.js>"
# A machine Node of the same major version is used as it is (for Node 20: the one that built the
# better-sqlite3 addon); otherwise the pinned version, installed by scripts/setup.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
manifest="$root/scripts/runtimes.json"
field() { node -p "const m = require(process.argv[1]); $1" "$manifest"; }

node_binary() {
  local major="$1" version
  version="$(field "m.node['$major'] ?? ''")"
  [[ -n "$version" ]] || {
    echo "runtimes: no Node $major in scripts/runtimes.json" >&2
    exit 1
  }
  if [[ "$(node -p 'process.versions.node.split(".")[0]')" == "$major" ]]; then
    command -v node
    return
  fi
  echo "$root/.vscode-test/node/$version/bin/node"
}

case "${1:-}" in
  node) node_binary "${2:?node major version}" ;;
  node-version) field "m.node['${2:?node major version}']" ;;
  exec)
    binary="$(node_binary "${2:?node major version}")"
    shift 2
    exec "$binary" "$@"
    ;;
  code-server)
    flavor="${2:?current or minimum}"
    version="$(field "m.codeServer['$flavor'].version")"
    echo "$version $(node_binary "$(field "m.codeServer['$flavor'].node")") $root/.vscode-test/code-server/$version/node_modules/code-server/out/node/entry.js"
    ;;
  *)
    echo "usage: runtimes.sh node <major> | node-version <major> | exec <major> <args>… | code-server <current|minimum>" >&2
    exit 2
    ;;
esac
