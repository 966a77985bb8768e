#!/usr/bin/env bash
# Installs Debian's Chromium (used by the docs browser tests, test/docs/browser.test.ts) when it is missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root or passwordless sudo for apt-get.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: /usr/bin/chromium is missing and we are not root (no sudo); install the 'chromium' package" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
