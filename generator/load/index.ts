import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Parser } from '@asyncapi/parser';
import type { WorkerDiagnostic, WorkerReply } from './parse-worker.js';
import { parseDocument } from 'yaml';
import type { Diagnostic } from '../model/types.js';
import { lenientRepairs } from './lenient.js';
import { precheck } from './precheck.js';
import { isAvroExampleFinding, parserTextWithAvroNames } from '../model/avro.js';
import { parserSafeText, restoreNames } from './protect.js';
import { applyTraits, hasTraits } from './traits.js';
import { displayPath, joinPointer, loadSource, locationOf, prepareSplice, rehearsalTexts, type SourceFile } from './source.js';
import { useSpecValidatorCache } from './spec-validators.js';
import { newParserWorker, parserWorkerUrl, takePrestartedWorker } from './worker-start.js';

export { applyTraits } from './traits.js';
export { lenientRepairs } from './lenient.js';
export { displayPath, locationOf, joinPointer, pointerSegments, parseSource, releasePositions, valueAt, type SourceFile } from './source.js';

/** Everything the model needs: the entry file and every file reachable through relative `$ref`s. */
export interface LoadedCatalog {
  main: SourceFile;
  /** By absolute path, including `main`. */
  files: Map<string, SourceFile>;
  diagnostics: Diagnostic[];
  /** Milliseconds spent in @asyncapi/parser validation (for benchmarks). */
  parserMs: number;
  /** Read with `--lenient`: the model, too, accepts what it can read in exactly one way (with warnings). */
  lenient?: boolean;
  /**
   * What @asyncapi/parser validated: the whole catalog, or (`incremental`) only the messages an edit changed, or
   * nothing (`unchanged`: the same document as the last one it found valid, e.g. a save without a change).
   */
  parserScope?: 'catalog' | 'changed-messages' | 'unchanged';
  /**
   * Under `deferValidation`, when the parser worker validates this catalog: its findings, still to come, as located
   * errors (empty: valid), or `undefined` when the worker's answer cannot be used (it failed, or it read other text)
   * and the catalog must be loaded again without the worker. Until it settles, nothing generated from this load may be
   * written or reported.
   */
  verdict?: Promise<{ errors: Diagnostic[]; parserMs: number } | undefined>;
}

export interface LoadOptions {
  cwd?: string;
  /** Skip @asyncapi/parser validation (used by tests of the model on in-memory documents). */
  validate?: boolean;
  /** Repair what `lenient.ts` accepts (with located warnings) before validating. */
  lenient?: boolean;
  /**
   * `gen events --watch`: remember this load; when the next load of the same catalog differs from the last valid one
   * only inside some `components.messages` entries, the parser validates a document of just those messages (with the
   * rest of `components`) instead of the whole catalog. Any finding there sends it through the whole parse again.
   */
  incremental?: boolean;
  /**
   * One-shot `gen events`: when @asyncapi/parser validates in the worker, return the loaded catalog at once, with the
   * worker's findings to come in `verdict`, so the model and the emitters run on this thread while the worker parses
   * (the second core). Only for a single-file catalog without repairs or traits (the data the model reads is then
   * exactly what the worker validates, and nothing the model does changes what the findings are located against).
   */
  deferValidation?: boolean;
  /** Do not start the parser worker for this load (the retry after a worker answer that could not be used). */
  noWorker?: boolean;
  /** The entry file's text, read from here instead of the disk (`--watch`'s rehearsal, with `incremental`). */
  text?: string;
}

/** The last valid load of a catalog (by absolute path) under `incremental`: what the next one is compared with. */
interface LastLoad {
  /** sha256 of every other catalog file. */
  others: Map<string, string | undefined>;
  /** The main document without `components.messages`, as JSON. */
  rest: string;
  /** Each `components.messages` entry as JSON. */
  messages: Map<string, string>;
}
const lastLoads = new Map<string, LastLoad>();
/** Under `incremental`: the entry file as last read (by absolute path), what the next read splices an edit into. */
const lastMains = new Map<string, SourceFile>();

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** JSON of a message by identity: after a spliced edit (`spliceSource`) every other message is the same object. */
const jsonOf = new WeakMap<object, string>();
function messageJson(m: unknown): string {
  if (typeof m !== 'object' || m === null) return JSON.stringify(m);
  let json = jsonOf.get(m);
  if (json === undefined) jsonOf.set(m, (json = JSON.stringify(m)));
  return json;
}

function snapshotOf(main: SourceFile, files: Map<string, SourceFile>): LastLoad {
  const data = main.data;
  const components = isRecord(data) ? data.components : undefined;
  const msgs = isRecord(components) && isRecord(components.messages) ? components.messages : {};
  const messages = new Map(Object.entries(msgs).map(([id, m]) => [id, messageJson(m)] as const));
  const rest = isRecord(data) && isRecord(components) ? JSON.stringify({ ...data, components: { ...components, messages: Object.keys(msgs) } }) : JSON.stringify(data);
  const others = new Map<string, string | undefined>();
  for (const f of new Set(files.values())) if (f !== main) others.set(f.absPath, f.hash);
  return { others, rest, messages };
}

/**
 * The `components.messages` entries that differ from the last valid load, or undefined when anything else differs
 * (the rest of the entry file, which holds the list of message ids, or another file). Empty: the same catalog.
 */
function changedMessages(last: LastLoad | undefined, now: LastLoad): string[] | undefined {
  if (!last || last.rest !== now.rest || last.others.size !== now.others.size) return undefined;
  for (const [p, h] of now.others) if (h === undefined || last.others.get(p) !== h) return undefined;
  return [...now.messages].filter(([id, json]) => last.messages.get(id) !== json).map(([id]) => id);
}

/**
 * The document the parser needs to see after an edit that changed only these messages: the same `asyncapi`, `info`
 * and `components` (so their `$ref`s resolve) with just the changed messages. Undefined when the edit reached
 * anything else (or a message with another schema format, whose parsing differs).
 */
function limitedDocument(changed: readonly string[] | undefined, now: LastLoad, main: SourceFile): string | undefined {
  if (changed === undefined || changed.length === 0 || changed.length > 20) return undefined;
  const data = main.data as Record<string, unknown>;
  const components = data.components as Record<string, unknown>;
  const all = components.messages as Record<string, unknown>;
  const messages: Record<string, unknown> = {};
  for (const id of changed) {
    if ((now.messages.get(id) ?? '').includes('"schemaFormat"')) return undefined;
    messages[id] = all[id];
  }
  return serializedForParser({ asyncapi: data.asyncapi, info: data.info, components: { ...components, messages } });
}

let parser: Parser | undefined;
/** Loaded on first use: a one-shot `gen events` whose parser runs in the worker never loads it on the main thread. */
let parserModule: Promise<{ Parser: typeof Parser }> | undefined;

/** What the loader reads of a parse: from @asyncapi/parser here, or from the worker (`parse-worker.ts`). */
interface ParseOutcome {
  document: unknown;
  diagnostics: WorkerDiagnostic[];
}

let workerEnabled = false;
/**
 * One-shot CLI runs (`gen events` without `--watch`): validate the entry file with @asyncapi/parser in a worker thread
 * while this thread reads it with positions. Its findings are used when it validated exactly the text this thread
 * would have given the parser (a single file, no stand-ins, no repairs); otherwise this thread validates as always.
 */
export function useParserWorker(on: boolean): void {
  workerEnabled = on;
}

interface SpeculativeParse {
  reply: Promise<WorkerReply | undefined>;
  stop(): void;
}

/**
 * Above this entry-file size the worker is not used: its parse tree (in its own heap) and this thread's positioned
 * tree would be alive at once, and for large catalogs peak memory (the 1 GB bound at 5,000 events, ~4.4 MB) matters
 * more than the second core. 1,000 events are ~0.9 MB.
 */
const WORKER_MAX_BYTES = 2 * 1024 * 1024;

function startParserWorker(absPath: string): SpeculativeParse | undefined {
  const url = parserWorkerUrl();
  const early = takePrestartedWorker();
  if (url === undefined) return undefined; // run from the TypeScript sources (tests): no worker
  try {
    if (statSync(absPath).size > WORKER_MAX_BYTES) {
      void early?.terminate().catch(() => undefined);
      return undefined;
    }
  } catch {
    void early?.terminate().catch(() => undefined);
    return undefined; // unreadable: the main thread reports it
  }
  try {
    const worker = early ?? newParserWorker(url, absPath);
    const reply = new Promise<WorkerReply | undefined>((resolve) => {
      worker.once('message', (m: WorkerReply) => resolve(m));
      worker.once('error', () => resolve(undefined));
      worker.once('exit', () => resolve(undefined));
    });
    if (early !== undefined) worker.postMessage({ absPath });
    return { reply, stop: () => void worker.terminate().catch(() => undefined) };
  } catch {
    return undefined;
  }
}

/**
 * What @asyncapi/parser reads, by absolute path: our parser-safe text of each loaded file (`protect.ts`). The parser
 * never reads the disk itself, so it sees exactly the files we located our diagnostics in, and its resolver cache is
 * off: a file that changed between two runs in one process (`--watch`, tests) is read again.
 */
const parserTexts = new Map<string, () => string>();

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
type AjvFor = (schema: { $id?: unknown }, dialect: string, allErrors: boolean) => Validate;

/**
 * Spectral gives every parsed document its own Ajv instances, so each `parse()` compiles the whole AsyncAPI
 * schema again (~250 ms, also for a one-message document): that was the floor of every `--watch` run. The
 * AsyncAPI spec schemas are the parser's own cached objects (same identity on every parse, `$id` under
 * asyncapi.com), so their compiled validators are shared across documents.
 *
 * A user's schemas (payloads) are compiled by object identity (Spectral's own cache is a `WeakMap` by schema), so an
 * edited schema is a new object and is compiled again; what a per-document instance added was only the instance
 * itself: a new Ajv compiles its meta-schemas, ~15 ms on every `--watch` edit. Schemas that mention `$id` anywhere
 * (an `$id` is registered by name in the instance: a changed schema with the same `$id` would clash with, or resolve
 * to, an earlier document's) and those that cannot be serialized (cycles) still get the per-document instance. The
 * shared instances are replaced after {@link SHARED_SCHEMAS} schemas, so a long session does not keep every edited
 * schema's validator. Only under `--watch` (a one-shot run parses one document). If the module is not shaped as
 * expected, nothing is changed.
 */
let shared = false;
const SHARED_SCHEMAS = 2_000;
/** User schemas share instances only in a `--watch` session (a one-shot run has one document: nothing to share). */
let shareUserSchemas = false;
function shareSpecValidators(): void {
  if (shared) return;
  shared = true;
  useSpecValidatorCache(); // first: the shared instances below then take the spec schemas' compiled code from it
  try {
    const fromParser = createRequire(createRequire(import.meta.url).resolve('@asyncapi/parser'));
    const mod = fromParser(fromParser.resolve('@stoplight/spectral-functions/dist/schema/ajv.js')) as { createAjvInstances?: () => AjvFor; __eventgenShared?: boolean };
    const original = mod.createAjvInstances;
    if (typeof original !== 'function' || mod.__eventgenShared) return;
    const shared = original();
    const compiled = new WeakMap<object, Map<string, Validate>>();
    const isSpec = (schema: { $id?: unknown }): boolean => typeof schema.$id === 'string' && /^http:\/\/asyncapi\.com\/definitions\/[^/]+\/asyncapi-(resolved|unresolved)\.json$/.test(schema.$id);
    // User schemas without `$id`: one set of instances for every document, replaced after SHARED_SCHEMAS schemas.
    let common = original();
    let seen = new WeakMap<object, boolean>();
    let count = 0;
    const sharable = (schema: object): boolean => {
      let ok = seen.get(schema);
      if (ok === undefined) {
        try {
          ok = !(JSON.stringify(schema) ?? '"$id"').includes('"$id"');
        } catch {
          ok = false;
        }
        if (++count > SHARED_SCHEMAS) {
          common = original();
          seen = new WeakMap();
          count = 1;
        }
        seen.set(schema, ok);
      }
      return ok;
    };
    mod.createAjvInstances = () => {
      const own = original();
      return (schema, dialect, allErrors) => {
        if (!isSpec(schema)) return shareUserSchemas && typeof schema === 'object' && schema !== null && sharable(schema) ? common(schema, dialect, allErrors) : own(schema, dialect, allErrors);
        let byMode = compiled.get(schema);
        if (!byMode) compiled.set(schema, (byMode = new Map()));
        const key = `${dialect}:${allErrors}`;
        let v = byMode.get(key);
        if (!v) byMode.set(key, (v = shared(schema, dialect, allErrors)));
        return v;
      };
    };
    mod.__eventgenShared = true;
  } catch {
    // another layout of @stoplight/spectral-functions: parse as it ships
  }
}

/**
 * The parser, kept for the next load under `incremental` (`--watch`) only: an instance holds on to what it read last
 * (~190 MB after a 5,000-event catalog), so a one-shot load gets its own and lets it go.
 */
async function asyncapiParser(keep: boolean): Promise<Parser> {
  shareSpecValidators();
  shareUserSchemas = keep;
  if (parser) return parser;
  const { Parser } = await (parserModule ??= import('@asyncapi/parser'));
  const fresh = new Parser({
    __unstable: {
      resolver: {
        cache: false,
        resolvers: [{ schema: 'file', order: 1, canRead: (uri) => parserTexts.has(uri.href()), read: (uri) => parserTexts.get(uri.href())?.() }],
      },
    },
  });
  if (keep) parser = fresh;
  return fresh;
}

/** Repaired data as the parser reads it: JSON text, hostile keys replaced like in the user's text. */
function serializedForParser(data: unknown): string {
  const text = JSON.stringify(data ?? null);
  return parserSafeText(text, parseDocument(text));
}

/**
 * `--watch`: the file parts of a `components.messages` entry's `$ref`s, by the identity of its data (after a spliced
 * edit every entry but the edited ones is the same object, so only those are walked again).
 */
const refsInMessage = new WeakMap<object, string[]>();

/** Find relative `$ref` targets (file part only) in a parsed document. */
function externalRefs(data: unknown, out: Set<string>): void {
  const messages = isRecord(data) && isRecord(data.components) && isRecord(data.components.messages) ? data.components.messages : undefined;
  const walk = (root: unknown, into: { add(ref: string): unknown }, seen: Set<unknown>): void => {
    const stack: unknown[] = [root];
    while (stack.length) {
      const node = stack.pop();
      if (!node || typeof node !== 'object' || seen.has(node)) continue;
      seen.add(node);
      if (Array.isArray(node)) {
        stack.push(...node);
        continue;
      }
      if (node === messages) {
        for (const m of Object.values(messages)) {
          if (typeof m !== 'object' || m === null) continue;
          let refs = refsInMessage.get(m);
          if (refs === undefined) {
            const found = new Set<string>();
            walk(m, found, seen);
            refsInMessage.set(m, (refs = [...found]));
          }
          for (const r of refs) into.add(r);
        }
        continue;
      }
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) into.add(v.split('#')[0] ?? '');
        else if (v && typeof v === 'object') stack.push(v);
      }
    }
  };
  walk(data, out, new Set());
}

/**
 * @asyncapi/parser's errors as our located diagnostics (its warnings are not reported: the model has its own).
 * `repaired`: the parser read repaired data, so findings are located by pointer in our reading of the files.
 */
function parserFindings(result: ParseOutcome, main: SourceFile, files: ReadonlyMap<string, SourceFile>, repaired: boolean, absMain: string, cwd: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  const errors = result.diagnostics.filter((d) => d.severity === 0);
  let avroExampleFindings = 0;
  for (const d of errors) {
    // "must match then schema" only says a deeper error exists; the deeper one is reported.
    if (/must match "(then|else)" schema/.test(d.message) && errors.length > 1) continue;
    // Examples of an Avro payload checked as if it were JSON Schema: meaningless; the model checks them against
    // the payload model/avro.ts reads (example-invalid).
    if (isAvroExampleFinding(main.data, d.path)) {
      avroExampleFindings++;
      continue;
    }
    const inBinding = d.path.includes('bindings');
    const rule = inBinding && d.path[0] === 'channels' ? 'topic-config-invalid' : inBinding ? 'binding-invalid' : 'asyncapi-schema';
    const src = typeof d.source === 'string' && d.source ? path.resolve(d.source) : absMain;
    const pointer = joinPointer('', ...d.path.map((p) => restoreNames(String(p))));
    const file = files.get(src);
    const location =
      repaired && file ? locationOf(file, pointer) : { file: displayPath(src, cwd), line: d.range.start.line + 1, column: d.range.start.character + 1, pointer };
    found.push({ severity: 'error', rule, message: restoreNames(d.message), location });
  }
  if (!result.document && avroExampleFindings === 0 && found.length === 0) {
    found.push({ severity: 'error', rule: 'asyncapi-schema', message: 'not a valid AsyncAPI document', location: { file: main.displayPath, line: 1, column: 1, pointer: '' } });
  }
  return found;
}

/** `incremental` (`--watch`), after a run: prepares what the next load of `entry` reuses (`prepareSplice`). */
export function prepareNextLoad(entry: string, cwd: string = process.cwd()): void {
  const file = lastMains.get(path.resolve(cwd, entry));
  if (file !== undefined) prepareSplice(file);
}

/** `incremental` (`--watch`): the entry file's text as last loaded, and that text with one message edited (`rehearsalTexts`). */
export function rehearsalTextsOf(entry: string, cwd: string = process.cwd()): { original: string; edited: string } | undefined {
  const file = lastMains.get(path.resolve(cwd, entry));
  return file === undefined ? undefined : rehearsalTexts(file);
}

/**
 * Load and validate a catalog. Never throws for bad input: every problem is a located diagnostic
 * (`yaml-syntax`, `file-unreadable`, `ref-unsupported`, `asyncapi-schema`).
 */
export async function loadCatalog(entry: string, options: LoadOptions = {}): Promise<{ loaded?: LoadedCatalog; diagnostics: Diagnostic[] }> {
  const cwd = options.cwd ?? process.cwd();
  const absMain = path.resolve(cwd, entry);
  const speculative = workerEnabled && !options.noWorker && !options.incremental && options.validate !== false ? startParserWorker(absMain) : undefined;
  let deferred = false;
  try {
    const result = await load(absMain, cwd, options, speculative);
    if (result.loaded?.verdict && speculative) {
      deferred = true;
      void result.loaded.verdict.finally(() => speculative.stop());
    }
    return result;
  } finally {
    if (!deferred) speculative?.stop();
  }
}

async function load(absMain: string, cwd: string, options: LoadOptions, speculative: SpeculativeParse | undefined): Promise<{ loaded?: LoadedCatalog; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, SourceFile>();

  const previous = options.incremental && !options.lenient ? lastMains.get(absMain) : undefined;
  const first = await loadSource(absMain, cwd, previous, options.text);
  diagnostics.push(...first.diagnostics);
  if (!first.file) return { diagnostics };
  if (options.incremental && !options.lenient) lastMains.set(absMain, first.file);
  files.set(absMain, first.file);

  // Load every file reachable through relative $refs, breadth first.
  let frontier: SourceFile[] = [first.file];
  while (frontier.length) {
    const next: Array<Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }>> = [];
    for (const file of frontier) {
      const refs = new Set<string>();
      externalRefs(file.data, refs);
      for (const ref of [...refs].sort()) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
          diagnostics.push({
            severity: 'error',
            rule: 'ref-unsupported',
            message: `remote $ref "${ref}" is not supported: catalogs must be self-contained (copy the file next to the catalog and use a relative path)`,
            location: { file: file.displayPath, line: 1, column: 1, pointer: '' },
          });
          continue;
        }
        const target = path.resolve(path.dirname(file.absPath), ref);
        if (files.has(target)) continue;
        files.set(target, file); // placeholder so it is loaded once
        next.push(loadSource(target, cwd));
      }
    }
    const loaded = await Promise.all(next);
    frontier = [];
    for (const r of loaded) {
      diagnostics.push(...r.diagnostics);
      if (r.file) {
        files.set(r.file.absPath, r.file);
        frontier.push(r.file);
      }
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  // Lenient repairs change the data: the parser then reads that data (serialized) and its findings are located
  // by their JSON pointer in our reading of the files, not by its positions in a text the user never wrote.
  const repairs = options.lenient ? lenientRepairs(first.file, files) : [];
  diagnostics.push(...repairs);
  if (repairs.length) for (const f of new Set(files.values())) f.parserText = serializedForParser(f.data);
  diagnostics.push(...precheck(files));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  let parserMs = 0;
  let parserScope: LoadedCatalog['parserScope'];
  const snapshot = options.incremental && !repairs.length && options.validate !== false ? snapshotOf(first.file, files) : undefined;
  if (options.validate !== false) {
    const t0 = performance.now();
    let result: ParseOutcome | undefined;
    let scope: NonNullable<LoadedCatalog['parserScope']> = 'catalog';
    // The worker's findings are used when it validated exactly the text this thread would give the parser.
    const main = first.file;
    const fromWorker =
      speculative && files.size === 1 && !repairs.length
        ? speculative.reply.then((reply): ParseOutcome | undefined =>
            reply?.ok && reply.hash === createHash('sha256').update(main.parserText).digest('hex') ? { document: reply.document || undefined, diagnostics: reply.diagnostics } : undefined,
          )
        : undefined;
    if (fromWorker && options.deferValidation && !hasTraits(main, files)) {
      const verdict = fromWorker.then((r) => (r ? { errors: parserFindings(r, main, files, false, absMain, cwd), parserMs: performance.now() - t0 } : undefined));
      return { loaded: { main, files, diagnostics, parserMs: 0, lenient: options.lenient === true, parserScope: 'catalog', verdict }, diagnostics };
    }
    if (fromWorker) result = await fromWorker;
    const changed = snapshot ? changedMessages(lastLoads.get(absMain), snapshot) : undefined;
    if (!result && changed?.length === 0) {
      // What the parser found valid before, again: it would find it valid again (its reading is deterministic).
      result = { document: true, diagnostics: [] };
      scope = 'unchanged';
    }
    if (!result) {
      // Read lazily: after a `--watch` edit the entry file's whole parser text is built only if the parser reads it.
      for (const f of files.values()) parserTexts.set(f.absPath, f === first.file ? () => f.parserText : () => parserTextWithAvroNames(f.data, f.parserText));
      try {
        const limited = snapshot ? limitedDocument(changed, snapshot, first.file) : undefined;
        if (limited !== undefined) {
          const r = await (await asyncapiParser(true)).parse(limited, { source: absMain });
          // Trusted only when clean; a finding (or no limited document) means the whole catalog is parsed, so every
          // reported finding is located in the user's text as always.
          if (r.document && !r.diagnostics.some((d) => d.severity === 0)) {
            result = r;
            scope = 'changed-messages';
          }
        }
        result ??= await (await asyncapiParser(options.incremental === true)).parse(first.file.parserText, { source: absMain });
      } finally {
        for (const f of files.values()) parserTexts.delete(f.absPath);
      }
    }
    parserMs = performance.now() - t0;
    parserScope = scope;
    diagnostics.push(...parserFindings(result, first.file, files, repairs.length > 0, absMain, cwd));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  if (snapshot) lastLoads.set(absMain, snapshot);
  applyTraits(first.file, files);
  return { loaded: { main: first.file, files, diagnostics, parserMs, lenient: options.lenient === true, parserScope }, diagnostics };
}
