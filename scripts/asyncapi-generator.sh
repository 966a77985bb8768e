#!/usr/bin/env bash
# Installs @asyncapi/generator 3.x (needs Node >= 24.11, so it cannot live in the root package.json, which installs on
# Node 20) into .cache/asyncapi-generator (gitignored), under Node 24 from scripts/node24.sh, once; later runs reuse it.
# The generator resolves `npm` as a global module when it loads (requireg; it installs templates with npm's Arborist),
# and the node binary of scripts/node24.sh comes without npm: npm 11 (what Node 24 bundles) is installed beside it.
# Prints the directory whose node_modules holds both. Usage: scripts/asyncapi-generator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/asyncapi-generator
version="${ASYNCAPI_GENERATOR_VERSION:-3}"
if [ ! -f "$dir/node_modules/@asyncapi/generator/package.json" ] || [ ! -f "$dir/node_modules/npm/package.json" ]; then
  mkdir -p "$dir"
  # Its own package.json, so npm installs here instead of walking up to the project.
  echo '{ "private": true }' > "$dir/package.json"
  log="$dir/install.log"
  if ! scripts/node24.sh npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
      "@asyncapi/generator@$version" npm@11 >"$log" 2>&1; then
    echo "scripts/asyncapi-generator.sh: npm install @asyncapi/generator@$version failed (see $dir/install.log):" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
echo "$PWD/$dir"
