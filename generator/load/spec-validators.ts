/**
 * Compiled AsyncAPI spec-schema validators, kept as code between processes.
 *
 * @asyncapi/parser validates every document against the AsyncAPI JSON Schema of its version (a resolved and an
 * unresolved variant, ~1 MB of JSON Schema each), through Spectral's `schema` function, which compiles them with Ajv
 * on every process start: ~1.2 s of a 4.4 s parse at 1,000 events, the same for a 10-line catalog. Ajv can emit a
 * compiled validator as standalone JavaScript; this module keeps that code in a cache directory keyed by the schema
 * itself (its JSON), the dialect, the error mode and the Ajv, ajv-formats and ajv-errors versions, and loads it in
 * later processes (~30 ms) instead of compiling. The validator is Ajv's own code for the same schema with the same
 * options as Spectral's instance, so its verdicts and error objects are the same (test/load/spec-validators.test.ts
 * compares the parser's findings with and without it).
 *
 * Only the spec schemas (an `$id` under asyncapi.com) go through it; a user's payload schemas are compiled as always.
 * Where the cache lives: `$EVENTGEN_CACHE_DIR/validators`, else `.cache/eventgen-validators` in the `node_modules`
 * holding @asyncapi/parser (as other tools keep their caches); a cache that cannot be read or written only means
 * compiling as before. `EVENTGEN_SPEC_VALIDATOR_CACHE=off` turns it off. Node built-ins only at import time.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
type AjvFor = (schema: { $id?: unknown }, dialect: string, allErrors: boolean) => Validate;
interface SpectralAjvModule {
  createAjvInstances?: () => AjvFor;
  __eventgenSpecCache?: boolean;
}

/** What this process did, for tests and `--verbose` diagnostics of the cache itself. */
export const specValidatorStats = { loaded: 0, compiled: 0, written: 0 };

const isSpec = (schema: { $id?: unknown }): boolean => typeof schema.$id === 'string' && /^http:\/\/asyncapi\.com\/definitions\/[^/]+\/asyncapi(-(resolved|unresolved))?\.json$/.test(schema.$id);

/** `require` as seen from Spectral's `ajv.js` (its Ajv, ajv-formats, ajv-errors: the ones it compiles with). */
function spectralRequire(): { req: NodeRequire; ajvModulePath: string; nodeModules: string } | undefined {
  try {
    const fromHere = createRequire(import.meta.url);
    const parserMain = fromHere.resolve('@asyncapi/parser');
    const fromParser = createRequire(parserMain);
    const ajvModulePath = fromParser.resolve('@stoplight/spectral-functions/dist/schema/ajv.js');
    // The node_modules directory holding @asyncapi/parser (the nearest one above its main file).
    let nodeModules = path.dirname(parserMain);
    while (path.basename(nodeModules) !== 'node_modules') {
      const up = path.dirname(nodeModules);
      if (up === nodeModules) return undefined;
      nodeModules = up;
    }
    return { req: createRequire(ajvModulePath), ajvModulePath, nodeModules };
  } catch {
    return undefined;
  }
}

function cacheDirectory(nodeModules: string): string {
  const explicit = process.env.EVENTGEN_CACHE_DIR;
  return explicit ? path.join(path.resolve(explicit), 'validators') : path.join(nodeModules, '.cache', 'eventgen-validators');
}

interface Compiler {
  req: NodeRequire;
  dir: string;
  versions: string;
}

/** The validator of one spec schema: loaded from the cache, else compiled (and its code cached); undefined: let Spectral compile it. */
function specValidator(c: Compiler, schema: object, dialect: string, allErrors: boolean): Validate | undefined {
  // Spectral's instance for any other dialect than these is its default Ajv (draft-07) with the draft-04/06 meta-schemas.
  if (dialect === 'draft4' || dialect === 'draft2019-09' || dialect === 'draft2020-12') return undefined;
  let json: string;
  try {
    json = JSON.stringify(schema);
  } catch {
    return undefined;
  }
  const key = createHash('sha256').update(`${c.versions}\u0000${allErrors}\u0000${json}`).digest('hex');
  const file = path.join(c.dir, `${key.slice(0, 32)}.cjs`);
  const header = `// eventgen spec validator ${key}\n`;
  try {
    const code = readFileSync(file, 'utf8');
    if (code.startsWith(header)) {
      const loaded = load(c.req, code);
      if (loaded) {
        specValidatorStats.loaded++;
        return loaded;
      }
    }
  } catch {
    // not cached yet (or unreadable): compiled below
  }
  try {
    const Ajv = (c.req('ajv') as { default: new (o: object) => AjvInstance }).default;
    const { _ } = c.req('ajv') as { _: (s: TemplateStringsArray) => unknown };
    const standalone = (c.req('ajv/dist/standalone') as { default: (ajv: AjvInstance, v: Validate) => string }).default;
    const ajv = new Ajv({
      allErrors,
      meta: true,
      messages: true,
      strict: false,
      allowUnionTypes: true,
      unicodeRegExp: false,
      logger: { warn: () => undefined, log: () => undefined, error: () => undefined },
      code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
    });
    (c.req('ajv-formats') as { default: (ajv: AjvInstance) => void }).default(ajv);
    if (allErrors) (c.req('ajv-errors') as { default: (ajv: AjvInstance) => void }).default(ajv);
    ajv.addSchema(c.req('./draft4.json'));
    ajv.addSchema(c.req('ajv/dist/refs/json-schema-draft-06.json'));
    const validate = ajv.compile(schema);
    specValidatorStats.compiled++;
    try {
      const code = header + standalone(ajv, validate);
      mkdirSync(c.dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
      specValidatorStats.written++;
    } catch {
      // a read-only cache: compiled again next time
    }
    return validate;
  } catch {
    return undefined;
  }
}

interface AjvInstance {
  compile(schema: object): Validate;
  addSchema(schema: unknown): void;
}

function load(req: NodeRequire, code: string): Validate | undefined {
  try {
    const module = { exports: {} as { default?: Validate } | Validate };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'module', 'exports', code)(req, module, module.exports);
    const exported = module.exports as { default?: Validate } & Validate;
    const v = typeof exported.default === 'function' ? exported.default : exported;
    return typeof v === 'function' ? v : undefined;
  } catch {
    return undefined;
  }
}

let patched = false;

/**
 * Makes Spectral's Ajv factory take the AsyncAPI spec schemas' validators from the code cache (idempotent; before the
 * first parse). Never throws: with another layout of Spectral nothing changes.
 */
export function useSpecValidatorCache(): void {
  if (patched) return;
  patched = true;
  if (process.env.EVENTGEN_SPEC_VALIDATOR_CACHE === 'off') return;
  const found = spectralRequire();
  if (!found) return;
  try {
    const mod = found.req(found.ajvModulePath) as SpectralAjvModule;
    const original = mod.createAjvInstances;
    if (typeof original !== 'function' || mod.__eventgenSpecCache) return;
    const version = (name: string): string => {
      try {
        return (found.req(`${name}/package.json`) as { version?: string }).version ?? '?';
      } catch {
        return '?';
      }
    };
    const compiler: Compiler = { req: found.req, dir: cacheDirectory(found.nodeModules), versions: ['ajv', 'ajv-formats', 'ajv-errors'].map((n) => `${n}@${version(n)}`).join(' ') };
    const bySchema = new WeakMap<object, Map<string, Validate | undefined>>();
    mod.createAjvInstances = () => {
      const inner = original();
      return (schema, dialect, allErrors) => {
        if (!isSpec(schema)) return inner(schema, dialect, allErrors);
        let modes = bySchema.get(schema);
        if (!modes) bySchema.set(schema, (modes = new Map()));
        const mode = `${dialect}:${allErrors}`;
        if (!modes.has(mode)) modes.set(mode, specValidator(compiler, schema, dialect, allErrors));
        return modes.get(mode) ?? inner(schema, dialect, allErrors);
      };
    };
    mod.__eventgenSpecCache = true;
  } catch {
    // another layout of @stoplight/spectral-functions: parse as it ships
  }
}
