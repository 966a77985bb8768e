/**
 * `gen schemas [plan|register|check]`: the catalog's Avro event schemas, and the JSON Schemas of events with
 * `x-codec: json-schema` (`schemaType: JSON`), against a Confluent-compatible schema registry. Every such event has
 * one subject per topic carrying it (TopicNameStrategy `<topic>-value` by default;
 * `--subject-strategy record|topic-record`). `plan` shows what `register` would do, `register` registers (or finds)
 * every schema, `check` asks the registry's compatibility endpoint whether each schema may be registered next to the
 * latest version under the subject's compatibility level, and exits 1 on an incompatible one (CI). The client is the
 * runtime's (`schema-registry.ts`), the same code the producers use.
 */
import { SchemaRegistryClient, SchemaRegistryError, type SchemaRegistryAuth } from '../../templates/runtime/schema-registry.js';
import { avroSchemaName, subjectName, type SubjectNameStrategy } from '../../templates/runtime/avro-codec.js';
import { JSON_SCHEMA_TYPE, jsonSchemaName } from '../../templates/runtime/json-schema-codec.js';
import { jsonSchemaWire } from '../emit/json-schema-wire.js';
import { loadModel } from '../index.js';
import type { Catalog } from '../model/types.js';
import { LENIENT_OPTION, paint, printDiagnostics, resolveCatalog, resolveLenient, UsageError, type CliCommand, type Io } from './common.js';
import { COMMAND_LIST } from './list.js';

type Action = 'plan' | 'register' | 'check';
const ACTIONS: readonly Action[] = ['plan', 'register', 'check'];
const STRATEGIES: Record<string, SubjectNameStrategy> = { topic: 'topic', record: 'record', 'topic-record': 'topic-record' };

/** One subject the catalog asks for. */
export interface SubjectPlan {
  subject: string;
  topic: string;
  eventTypes: string[];
  schema: string;
  /** The registry's `schemaType`: `AVRO` or `JSON`. */
  schemaType: 'AVRO' | 'JSON';
}

/** Outcome per subject, as `--json` prints it. */
interface SubjectResult {
  subject: string;
  topic: string;
  eventTypes: string[];
  schemaType: 'AVRO' | 'JSON';
  /** plan/check: `registered` (this exact schema), `new-subject`, `new-version`; register: `registered`. */
  status: 'registered' | 'new-subject' | 'new-version' | 'compatible' | 'incompatible' | 'error' | 'unknown';
  id?: number;
  version?: number;
  messages?: string[];
  error?: string;
}

/**
 * The subjects of the catalog's Avro events and `x-codec: json-schema` events; a located problem when two different
 * schemas would share a subject.
 */
export function subjectPlan(catalog: Catalog, strategy: SubjectNameStrategy): { subjects: SubjectPlan[]; problems: string[] } {
  const bySubject = new Map<string, SubjectPlan>();
  const problems: string[] = [];
  for (const e of catalog.events) {
    const schemaType = e.payload.avroWire !== undefined ? 'AVRO' : e.codec === 'json-schema' ? JSON_SCHEMA_TYPE : undefined;
    if (schemaType === undefined) continue;
    const schema = e.payload.avroWire ?? jsonSchemaWire(catalog, e);
    for (const topic of e.topics) {
      let subject: string;
      try {
        subject = subjectName(strategy, topic, schemaType === 'AVRO' ? avroSchemaName(schema) : jsonSchemaName(schema));
      } catch (error) {
        problems.push(`${e.type}: ${(error as Error).message}`);
        continue;
      }
      const seen = bySubject.get(subject);
      if (seen === undefined) bySubject.set(subject, { subject, topic, eventTypes: [e.type], schema, schemaType });
      else if (seen.schema === schema && seen.schemaType === schemaType) seen.eventTypes.push(e.type);
      else
        problems.push(
          `subject ${subject} would hold two different schemas (${seen.eventTypes.join(', ')} and ${e.type} on topic ${topic}); one topic carrying several registry-encoded event types needs --subject-strategy record or topic-record`,
        );
    }
  }
  return { subjects: [...bySubject.values()].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0)), problems };
}

function registryAuth(args: Record<string, unknown>): SchemaRegistryAuth | undefined {
  const token = (args['registry-token'] as string | undefined) ?? process.env.SCHEMA_REGISTRY_TOKEN;
  const user = (args['registry-user'] as string | undefined) ?? process.env.SCHEMA_REGISTRY_USER;
  const password = process.env.SCHEMA_REGISTRY_PASSWORD;
  if (token && user) throw new UsageError('give either a bearer token (--registry-token / SCHEMA_REGISTRY_TOKEN) or basic credentials (--registry-user + SCHEMA_REGISTRY_PASSWORD), not both');
  if (token) return { token };
  if (user) {
    if (password === undefined) throw new UsageError('--registry-user needs the password in SCHEMA_REGISTRY_PASSWORD (never on the command line)');
    return { username: user, password };
  }
  return undefined;
}

async function runSchemas(args: Record<string, unknown>, io: Io): Promise<number> {
  const action = args.action === undefined ? 'plan' : String(args.action);
  const known = ACTIONS.find((a) => a === action);
  if (!known) throw new UsageError(`unknown schemas action "${action}" (plan, register or check)`);
  const strategyName = String(args['subject-strategy'] ?? 'topic');
  const strategy = STRATEGIES[strategyName];
  if (strategy === undefined) throw new UsageError(`unknown --subject-strategy "${strategyName}" (topic, record or topic-record)`);
  const url = (args['registry-url'] as string | undefined) ?? process.env.SCHEMA_REGISTRY_URL ?? process.env.REGISTRY_URL;
  if (known !== 'plan' && !url) throw new UsageError(`gen schemas ${known} needs --registry-url (or SCHEMA_REGISTRY_URL)`);
  const timeoutMs = Number(args.timeout ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, not ${String(args.timeout)}`);
  const auth = registryAuth(args);

  const catalog = resolveCatalog(args.catalog, io.cwd);
  const result = await loadModel(catalog, { cwd: io.cwd, lenient: resolveLenient(args.lenient, io.cwd) });
  const errors = printDiagnostics(result.diagnostics, io, args.verbose === true);
  if (errors || !result.catalog) {
    io.err(paint(io, '31', `gen schemas: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was done`));
    return 1;
  }
  const { subjects, problems } = subjectPlan(result.catalog, strategy);
  for (const p of problems) io.err(`${catalog}  ${paint(io, '31', 'error')}  schema-subject  ${p}`);
  if (problems.length) return 1;

  let client: SchemaRegistryClient | undefined;
  try {
    client = url ? new SchemaRegistryClient({ url, timeoutMs, ...(auth ? { auth } : {}) }) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const results: SubjectResult[] = [];
  for (const s of subjects) {
    const base = { subject: s.subject, topic: s.topic, eventTypes: s.eventTypes, schemaType: s.schemaType };
    if (client === undefined) {
      results.push({ ...base, status: 'unknown' });
      continue;
    }
    try {
      results.push({ ...base, ...(await subjectAction(client, known, s)) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ ...base, status: 'error', error: message });
      // An unreachable registry will not answer the next subject either.
      if (error instanceof SchemaRegistryError && error.unavailable) break;
    }
  }
  const failed = results.filter((r) => r.status === 'error' || r.status === 'incompatible');
  if (args.json === true) io.out(JSON.stringify({ action: known, registry: url ?? null, strategy, subjects: results, ok: failed.length === 0 && results.length === subjects.length }, null, 2));
  else print(io, known, subjects.length, results);
  return failed.length > 0 || results.length < subjects.length ? 1 : 0;
}

async function subjectAction(client: SchemaRegistryClient, action: Action, s: SubjectPlan): Promise<Omit<SubjectResult, 'subject' | 'topic' | 'eventTypes' | 'schemaType'>> {
  if (action === 'register') {
    const id = await client.register(s.subject, s.schema, s.schemaType);
    return { status: 'registered', id };
  }
  const latest = await client.latest(s.subject);
  if (latest === undefined) return { status: 'new-subject' };
  try {
    const id = await client.lookup(s.subject, s.schema, s.schemaType);
    return { status: 'registered', id };
  } catch (error) {
    if (!(error instanceof SchemaRegistryError) || error.status !== 404) throw error;
  }
  if (action === 'plan') return { status: 'new-version', version: latest.version };
  const verdict = await client.checkCompatibility(s.subject, s.schema, 'latest', s.schemaType);
  return { status: verdict.compatible ? 'compatible' : 'incompatible', version: latest.version, ...(verdict.messages.length ? { messages: verdict.messages } : {}) };
}

const SAYS: Record<SubjectResult['status'], string> = {
  registered: 'registered',
  'new-subject': 'new subject',
  'new-version': 'new version',
  compatible: 'compatible with the latest version',
  incompatible: 'INCOMPATIBLE with the latest version',
  error: 'error',
  unknown: 'not compared (no --registry-url)',
};

function print(io: Io, action: Action, total: number, results: readonly SubjectResult[]): void {
  for (const r of results) {
    const color = r.status === 'incompatible' || r.status === 'error' ? '31' : r.status === 'registered' || r.status === 'compatible' ? '32' : '33';
    const detail = [r.id !== undefined ? `id ${r.id}` : '', r.version !== undefined ? `latest v${r.version}` : ''].filter(Boolean).join(', ');
    io.out(`${r.subject}  ${paint(io, color, SAYS[r.status])}${detail ? ` (${detail})` : ''}  ${r.eventTypes.join(', ')} on ${r.topic}${r.schemaType === 'JSON' ? ' (JSON Schema)' : ''}`);
    for (const m of r.messages ?? []) io.out(`    ${m}`);
    if (r.error) io.err(`    ${r.error}`);
  }
  if (results.length < total) io.err(paint(io, '31', `gen schemas ${action}: stopped after ${results.length} of ${total} subjects (the registry is unreachable)`));
  if (total === 0) io.out('No Avro events and no x-codec: json-schema events in the catalog: nothing to register.');
}

export const schemasCommand: CliCommand = {
  command: COMMAND_LIST.schemas.command,
  describe: COMMAND_LIST.schemas.describe,
  positionals: ['action'],
  options: {
    catalog: { type: 'string', describe: 'AsyncAPI catalog file (YAML or JSON)' },
    'registry-url': { type: 'string', describe: 'Confluent-compatible registry base URL (default: SCHEMA_REGISTRY_URL, then REGISTRY_URL)' },
    'subject-strategy': { type: 'string', default: 'topic', describe: 'Subject naming: topic (<topic>-value), record (<record fullname>), topic-record (<topic>-<record fullname>)' },
    'registry-user': { type: 'string', describe: 'Basic auth user (default SCHEMA_REGISTRY_USER; the password only from SCHEMA_REGISTRY_PASSWORD)' },
    'registry-token': { type: 'string', describe: 'Bearer token (default SCHEMA_REGISTRY_TOKEN)' },
    timeout: { type: 'number', default: 10_000, describe: 'Per-request timeout in milliseconds' },
    json: { type: 'boolean', default: false, describe: 'Print a JSON report (for CI)' },
    verbose: { type: 'boolean', default: false, describe: 'Show info diagnostics' },
    lenient: LENIENT_OPTION,
  },
  examples: [
    ['$0 schemas plan --registry-url http://localhost:8081', 'show which subjects are new, registered, or get a new version'],
    ['$0 schemas register --registry-url http://localhost:8081', 'register every Avro and x-codec: json-schema event schema'],
    ['$0 schemas check --json', 'exit 1 when a schema is incompatible with the registry (CI)'],
  ],
  run: runSchemas,
};
