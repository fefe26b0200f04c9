#!/usr/bin/env bash
# `npm start`: installs what is missing, packages Trackside, installs it into a local code-server and
# serves VS Code in the browser, opened on demo/. Runs in the foreground until Ctrl-C.
#
#   TRACKSIDE_PORT      port to listen on (default 8080)
#   TRACKSIDE_BIND      address to listen on (default 127.0.0.1). Any other address turns on password
#                       authentication: the password is TRACKSIDE_PASSWORD, or a generated one printed below.
#   TRACKSIDE_FOLDER    folder to open (default: demo/)
#   TRACKSIDE_VSCODE    current (default: code-server 4.139 = VS Code 1.139 on Node 24) or minimum
#                       (code-server 4.100.3 = VS Code 1.100, the oldest that Trackside supports)
#
# The editor's state (settings, installed extensions, window layout) lives in .vscode-test/editor-<flavor>/
# and survives restarts; delete that folder to start from scratch.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

port="${TRACKSIDE_PORT:-8080}"
bind="${TRACKSIDE_BIND:-127.0.0.1}"
requested_folder="${TRACKSIDE_FOLDER:-$root/demo}"
if [[ ! -d "$requested_folder" ]]; then
  echo "start: TRACKSIDE_FOLDER=$requested_folder is not a folder" >&2
  exit 1
fi
folder="$(cd "$requested_folder" && pwd)"
# The current VS Code (scripts/runtimes.json); TRACKSIDE_VSCODE=minimum serves VS Code 1.100 instead.
flavor="${TRACKSIDE_VSCODE:-current}"
# One editor state per VS Code: a newer VS Code's state is not for an older one to read.
user_data="$root/.vscode-test/editor-$flavor/user-data"
extensions="$root/.vscode-test/editor-$flavor/extensions"
logs="$root/.vscode-test/logs"

# Fail before the long steps when another program already holds the port.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "start: port $port is in use; choose another with TRACKSIDE_PORT=<port> npm start" >&2
  exit 1
fi

bash "$root/scripts/setup.sh"
read -r code_server_version node_bin entry < <(bash "$root/scripts/runtimes.sh" code-server "$flavor")

echo "==> package"
if ! npm run package >"$logs/package.log" 2>&1; then
  tail -n 40 "$logs/package.log" >&2
  echo "start: FAILED at step \"package\"; the whole output is in .vscode-test/logs/package.log" >&2
  exit 1
fi
echo "    dist/trackside.vsix"

echo "==> install into code-server"
mkdir -p "$user_data/User" "$extensions"
settings="$user_data/User/settings.json"
# Written once: later changes made in the editor's settings UI are kept.
if [[ ! -f "$settings" ]]; then
  cat >"$settings" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "security.workspace.trust.enabled": false,
  "python.defaultInterpreterPath": "/usr/bin/python3",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "git.openRepositoryInParentFolders": "always"
}
JSON
fi
# --force: reinstall the same version, so the editor always runs what was just built.
if ! "$node_bin" "$entry" --user-data-dir "$user_data" --extensions-dir "$extensions" \
  --install-extension "$root/dist/trackside.vsix" --force >"$logs/install-extension.log" 2>&1 ||
  ! grep -q "successfully installed" "$logs/install-extension.log"; then
  cat "$logs/install-extension.log" >&2
  echo "start: FAILED at step \"install into code-server\"" >&2
  exit 1
fi
echo "    trackside.trackside $(node -p 'require("./package.json").version')"

auth=(--auth none)
host="$bind"
case "$bind" in
  127.* | localhost | ::1) ;;
  *)
    # Anyone who can reach this address gets a shell on this machine: never serve it without a password.
    export PASSWORD="${TRACKSIDE_PASSWORD:-$(node -p "require('crypto').randomBytes(12).toString('base64url')")}"
    auth=(--auth password)
    [[ "$bind" == 0.0.0.0 ]] && host="$(hostname -f 2>/dev/null || hostname)"
    ;;
esac

echo "==> code-server $code_server_version (Node $("$node_bin" -v))"
"$node_bin" "$entry" \
  --bind-addr "$bind:$port" \
  "${auth[@]}" \
  --disable-telemetry \
  --disable-update-check \
  --disable-workspace-trust \
  --disable-getting-started-override \
  --user-data-dir "$user_data" \
  --extensions-dir "$extensions" \
  "$folder" >"$logs/code-server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

probe_host="$bind"
[[ "$bind" == 0.0.0.0 ]] && probe_host=127.0.0.1
ready=false
for _ in $(seq 1 150); do
  if ! kill -0 "$server" 2>/dev/null; then
    tail -n 40 "$logs/code-server.log" >&2
    echo "start: code-server exited; its log is .vscode-test/logs/code-server.log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "http://$probe_host:$port/healthz"; then
    ready=true
    break
  fi
  sleep 0.2
done
if [[ "$ready" != true ]]; then
  echo "start: code-server did not answer on $probe_host:$port within 30 s; see .vscode-test/logs/code-server.log" >&2
  exit 1
fi

url="http://$host:$port/?folder=$(node -p 'encodeURIComponent(process.argv[1]).replace(/%2F/g, "/")' "$folder")"
echo
echo "  Trackside is running in VS Code at:"
echo
echo "    $url"
echo
[[ "${auth[1]}" == password ]] && echo "  password: $PASSWORD" && echo
echo "  Open the Trackside view in the activity bar, or open a training script and run it with tracking."
echo "  Server log: .vscode-test/logs/code-server.log — press Ctrl-C to stop."
wait "$server"
