/**
 * @asyncapi/parser in a worker thread (one-shot `gen events`, see `startParserWorker` in index.ts): it reads the entry
 * file itself and validates its text while the main thread reads the same file with positions (the `yaml` package),
 * so the two parses of a catalog run at the same time on two cores, and the main thread never loads the parser. It
 * posts the sha256 of the text it validated: the main thread uses the findings only when that is exactly the text it
 * would have given the parser (one file, no stand-ins, no repairs), else it validates on its own as before.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { useSpecValidatorCache } from './spec-validators.js';

export interface WorkerDiagnostic {
  severity: number;
  message: string;
  path: Array<string | number>;
  range: { start: { line: number; character: number } };
  source?: string;
}

export type WorkerReply = { ok: true; hash: string; document: boolean; diagnostics: WorkerDiagnostic[]; parseMs: number } | { ok: false; error: string };

// Loaded at once: a worker started before the catalog's path is known (`prestartParserWorker`) loads the parser while
// it waits for the path.
const parserModule = import('@asyncapi/parser');
parserModule.catch(() => undefined); // reported by `run`

async function run(absPath: string): Promise<WorkerReply> {
  const text = (await readFile(absPath)).toString('utf8');
  const { Parser } = await parserModule;
  useSpecValidatorCache();
  // As on the main thread: the parser reads only the text we give it (an external `$ref` makes the main thread
  // discard this result: it has more than one file).
  const parser = new Parser({
    __unstable: {
      resolver: {
        cache: false,
        resolvers: [{ schema: 'file', order: 1, canRead: (uri) => uri.href() === absPath, read: () => text }],
      },
    },
  });
  const t0 = performance.now();
  const result = await parser.parse(text, { source: absPath });
  const parseMs = performance.now() - t0;
  const diagnostics = result.diagnostics.map(
    (d): WorkerDiagnostic => ({
      severity: d.severity,
      message: d.message,
      path: d.path.map((p) => (typeof p === 'number' ? p : String(p))),
      range: { start: { line: d.range.start.line, character: d.range.start.character } },
      ...(typeof d.source === 'string' ? { source: d.source } : {}),
    }),
  );
  return { ok: true, hash: createHash('sha256').update(text).digest('hex'), document: result.document !== undefined, diagnostics, parseMs };
}

const given = (workerData as { absPath?: string }).absPath;
const absPath = given ?? (await new Promise<string>((resolve) => parentPort?.once('message', (m: { absPath: string }) => resolve(m.absPath))));
let reply: WorkerReply;
try {
  reply = await run(absPath);
} catch (err) {
  reply = { ok: false, error: String((err as Error)?.stack ?? err) };
}
parentPort?.postMessage(reply);
