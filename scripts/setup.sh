#!/usr/bin/env bash
# Installs whatever this machine lacks to build, test and run Trackside, then builds it:
#   1. Debian packages (Chromium, ripgrep, a C/C++ toolchain, Python with scikit-learn and PyTorch, …)
#   2. npm dependencies (`npm ci`)
#   3. the build (`npm run build`)
#   4. Node 20, 22 and 24 (pinned in scripts/runtimes.json; the machine's own Node serves its major)
#   5. code-server, the VS Code that the e2e tests and `npm start` run in the browser: the current one
#      (4.139, on Node 24) and the minimum one of `engines.vscode` (4.100.3, on Node 20)
# Each step is skipped when already done, so a second run takes a few seconds.
# Used by `npm start` and `.ci/run`. Needs Debian (or Ubuntu) with Node 20, 22 or 24 and npm, and root
# or sudo for step 1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
logs="$root/.vscode-test/logs"
mkdir -p "$logs"

step_name=""
step() {
  step_name="$1"
  printf '==> %s\n' "$step_name"
}
fail() {
  printf '\nsetup: FAILED at step "%s"\n' "$step_name" >&2
  [[ -n "${1:-}" ]] && printf '%s\n' "$1" >&2
  exit 1
}
trap 'fail "unexpected error (exit $?) on line $LINENO of scripts/setup.sh"' ERR
# Runs a noisy command with its output in a log file; shows the end of it on failure.
quietly() {
  local log="$logs/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "The whole output is in ${log#"$root"/}"
  fi
}

apt_packages=(
  # Browser and search tool for the VS Code under test
  chromium fonts-liberation ripgrep
  # Toolchain and headers for native npm modules (better-sqlite3, and code-server's node-pty, kerberos, keytar)
  build-essential python3 pkg-config libkrb5-dev libxkbfile-dev libx11-dev libsecret-1-dev
  # Git for run provenance; unzip to inspect the .vsix
  git unzip
  # The demo's and the tests' training scripts run on Debian's own Python (/usr/bin/python3)
  python3-numpy python3-sklearn python3-torch
)
# The real services the integration and end-to-end tests start on loopback (OCI registry, skopeo,
# Podman, sshd, a single-node Slurm cluster) and their helpers, one package a line.
while read -r package; do
  [[ -n "$package" && "$package" != \#* ]] && apt_packages+=("$package")
done <"$root/scripts/apt-packages.txt"

step "system packages"
command -v dpkg-query >/dev/null || fail "This script installs Debian packages: run it on Debian or Ubuntu."
missing=()
for package in "${apt_packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != "installed" ]]; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "    all ${#apt_packages[@]} present"
else
  echo "    installing: ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fail "Installing packages needs root: run as root or install sudo."
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  quietly apt-update "${sudo[@]}" apt-get update
  quietly apt-install "${sudo[@]}" apt-get install -y "${missing[@]}"
fi

step "node"
command -v node >/dev/null || fail "Node.js 20, 22 or 24 is required (https://nodejs.org or Debian's nodejs package)."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" =~ ^(20|22|24)$ ]] || fail "Node.js 20, 22 or 24 is required to set up; found $(node -v)."
echo "    $(node -v), npm $(npm -v)"
for major in 20 22 24; do
  if [[ "$major" == "$node_major" ]]; then
    echo "    Node $major: the machine's own"
  else
    quietly "install-node-$major" bash scripts/install-node.sh "$(bash scripts/runtimes.sh node-version "$major")"
    tail -n 1 "$logs/install-node-$major.log" | sed 's/^/    /'
  fi
done
node20="$(bash scripts/runtimes.sh node 20)"

# Native modules build against the running Node's headers (the distribution's /usr/include/node, or
# a pinned Node's include/) instead of downloading them.
node_headers() { dirname "$(dirname "$(readlink -f "$1")")"; }
export npm_config_nodedir="${npm_config_nodedir:-$(node_headers "$(command -v node)")}"
export npm_config_unsafe_perm=true
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false

step "npm dependencies"
addon="node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "    npm ci (a few minutes on a fresh machine: better-sqlite3 compiles)"
  quietly npm-ci npm ci
else
  echo "    up to date"
fi
# better-sqlite3 is the index driver on Node 20 only (22 and 24 have node:sqlite): its addon is
# built for Node 20, whatever Node ran npm.
if [[ ! -f "$addon" ]] || ! "$node20" -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null; then
  echo "    building the SQLite addon for Node 20"
  quietly npm-rebuild env PATH="$(dirname "$node20"):$PATH" npm_config_nodedir="$(node_headers "$node20")" \
    npm rebuild better-sqlite3
fi

step "build"
quietly build npm run build
echo "    dist/ ready"

step "code-server"
for flavor in current minimum; do
  quietly "install-code-server-$flavor" bash scripts/install-code-server.sh "$flavor"
  tail -n 1 "$logs/install-code-server-$flavor.log" | sed 's/^/    /'
done

echo "setup: done"
