#!/usr/bin/env bash
# Runs a command under Node 24 (scripts/node.sh 24 ...). Usage: scripts/node24.sh node --version
exec "$(dirname "$0")/node.sh" 24 "$@"
