#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) from the npm registry into
# .vscode-test/code-server/<version>/, with the Node it runs on (its native modules are built for it).
#
#   bash scripts/install-code-server.sh <current|minimum>      (versions in scripts/runtimes.json)
#
# current is the VS Code users run today (code-server 4.139 = VS Code 1.139, on Node 24); minimum is
# the oldest VS Code of `engines.vscode` (code-server 4.100.3 = VS Code 1.100.3, the newest release
# that runs on Node 20). Both are kept out of the extension's own dependencies so the .vsix stays
# small. The install works without network access beyond the npm registry: the one download 4.100.3
# would make (ripgrep from GitHub, in the postinstall of @vscode/ripgrep) is served from a cache
# pre-seeded with the system's `rg`; newer releases ship ripgrep in the package.
#
# Idempotent: returns at once when the right version is already installed.
# Needs: that Node (scripts/install-node.sh), npm, a C/C++ toolchain, python3, pkg-config,
# libkrb5-dev, libxkbfile-dev, libx11-dev, libsecret-1-dev and ripgrep (scripts/setup.sh installs them).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
read -r CODE_SERVER_VERSION node_bin _entry < <(bash "$root/scripts/runtimes.sh" code-server "${1:?usage: install-code-server.sh <current|minimum>}")
[[ -x "$node_bin" ]] || {
  echo "install-code-server: $node_bin is missing (scripts/install-node.sh installs it)" >&2
  exit 1
}
# The @vscode/ripgrep release inside code-server 4.100.3 and the ripgrep build it asks for.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_BUILD=v13.0.0-10

prefix="$root/.vscode-test/code-server/$CODE_SERVER_VERSION"
marker="$prefix/.installed"
entry="$prefix/node_modules/code-server/out/node/entry.js"

if [[ -f "$marker" && -f "$entry" ]]; then
  echo "code-server $CODE_SERVER_VERSION already installed in ${prefix#"$root"/}"
  exit 0
fi

rg_path="$(command -v rg || true)"
if [[ -z "$rg_path" ]]; then
  echo "install-code-server: ripgrep (rg) is missing; install it first (apt-get install ripgrep)" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *)
    echo "install-code-server: unsupported architecture $(uname -m)" >&2
    exit 1
    ;;
esac

# A private TMPDIR holds the pre-seeded ripgrep download and npm's scratch files.
tmp="$root/.vscode-test/tmp"
rm -rf "$tmp"
rg_cache="$tmp/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION"
mkdir -p "$rg_cache" "$tmp/rg"
cp "$rg_path" "$tmp/rg/rg"
tar -czf "$rg_cache/ripgrep-$RIPGREP_BUILD-$rg_target.tar.gz" -C "$tmp/rg" rg

rm -rf "$prefix"
mkdir -p "$prefix"
# Its own package.json, so npm installs here and never walks up into the extension's package.
printf '{ "name": "trackside-code-server", "private": true }\n' >"$prefix/package.json"

# Node's headers: the distribution's (/usr/include/node) for the system Node, else the pinned
# package's own include/ folder; node-gyp would otherwise download them.
node_dir="$(dirname "$(dirname "$(readlink -f "$node_bin")")")"
echo "installing code-server $CODE_SERVER_VERSION on Node $("$node_bin" -v) (one to three minutes)…"
log="$root/.vscode-test/install-code-server-$CODE_SERVER_VERSION.log"
# The Node it runs on comes first on PATH, so install scripts build for it.
# unsafe_perm: npm 11 running as root would otherwise drop privileges for install scripts.
# yes: node-pty's install runs `npx node-gyp`, which would stop to ask.
if ! (
  cd "$prefix" &&
    PATH="$(dirname "$node_bin"):$PATH" \
      TMPDIR="$tmp" \
      npm_config_unsafe_perm=true \
      npm_config_yes=true \
      npm_config_nodedir="$node_dir" \
      npm_config_audit=false \
      npm_config_fund=false \
      npm_config_update_notifier=false \
      npm install --no-package-lock "code-server@$CODE_SERVER_VERSION" >"$log" 2>&1
); then
  tail -n 40 "$log" >&2
  echo "install-code-server: npm install failed; the whole log is in ${log#"$root"/}" >&2
  exit 1
fi

if [[ ! -f "$entry" ]]; then
  echo "install-code-server: npm finished but $entry is missing; see ${log#"$root"/}" >&2
  exit 1
fi
installed="$("$node_bin" -p "require('$prefix/node_modules/code-server/package.json').version")"
if [[ "$installed" != "$CODE_SERVER_VERSION" ]]; then
  echo "install-code-server: expected code-server $CODE_SERVER_VERSION, npm installed $installed" >&2
  exit 1
fi

rm -rf "$tmp"
touch "$marker"
echo "code-server $CODE_SERVER_VERSION installed in ${prefix#"$root"/}"
