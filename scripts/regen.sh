#!/usr/bin/env bash
# Regenerates every committed tree of the bundled catalog after a runtime or emitter change: generated/ (the golden
# tree), examples/shop-services/src/events, examples/nest-shop/src/events and examples/live-demo/src/events (stubs there are user code: kept).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
node bin/gen.js events
node bin/gen.js events --catalog catalog/shop.asyncapi.yaml --out examples/shop-services/src/events --no-docs --with gateway
node bin/gen.js events --catalog catalog/shop.asyncapi.yaml --out examples/nest-shop/src/events --target nestjs --no-docs --with none
node bin/gen.js events --catalog examples/live-demo/catalog.asyncapi.yaml --out examples/live-demo/src/events --no-docs --with live
