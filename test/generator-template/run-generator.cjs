// Runs @asyncapi/generator's programmatic API (what `asyncapi generate fromTemplate` calls) in its own Node 24
// process: node run-generator.cjs <generator install dir> <template dir> <out dir> <catalog> <params JSON> [force].
// Prints one JSON line: { ok, ms } or { ok: false, error }.
'use strict';
const path = require('node:path');

const [installDir, template, out, catalog, params, force] = process.argv.slice(2);
const Generator = require(path.join(installDir, 'node_modules', '@asyncapi', 'generator'));
const t0 = performance.now();
new Generator(template, out, { templateParams: JSON.parse(params || '{}'), forceWrite: force === 'force' })
  .generateFromFile(catalog)
  .then(
    () => console.log(JSON.stringify({ ok: true, ms: Math.round(performance.now() - t0) })),
    (e) => {
      console.log(JSON.stringify({ ok: false, error: String(e && e.message) }));
      process.exitCode = 1;
    },
  );
