/**
 * `outbox/` (`--with outbox`): the transactional outbox on PostgreSQL (docs/outbox.md). The writer, the relay, the
 * table names and the PostgreSQL processed store (`templates/outbox/`, copied verbatim) are catalog-independent; this
 * emitter adds the migration (`migration.sql`, `migration.ts`), the typed outbox producers (`producers.ts`: the same
 * topics and methods as `createProducers`, writing into the outbox with the caller's client) and the barrel.
 */
import type { EventSymbols, SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { sym, type Sym } from '../../symbols/sym.js';
import { keyRuleText } from '../describe.js';
import { TsModule } from '../printer.js';
import { copyTemplates, type RuntimeSource } from '../runtime.js';
import { jsdoc, tsString } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { MIGRATION_TEMPLATE, migrationModule, renderMigration } from './migration.js';

export const OUTBOX_DIR = 'outbox';
const TABLE = `${OUTBOX_DIR}/table.ts`;
const WRITER = `${OUTBOX_DIR}/writer.ts`;
const RELAY = `${OUTBOX_DIR}/relay.ts`;
const STORE = `${OUTBOX_DIR}/processed-store.ts`;
const MIGRATION = `${OUTBOX_DIR}/migration.ts`;
const PRODUCERS = `${OUTBOX_DIR}/producers.ts`;
const INDEX = `${OUTBOX_DIR}/index.ts`;

function method(table: SymbolTable, mod: TsModule, topic: TopicSymbols, sy: EventSymbols, writer: string): string {
  const e = sy.event;
  const input = mod.type(sy.input);
  const def = mod.use(sy.definition);
  const sendOptions = mod.type(table.runtime('SendOptions'));
  const receipt = mod.type(sym('OutboxReceipt', WRITER, 'type'));
  const params = topic.parameters;
  const doc = jsdoc(
    [
      e.summary ?? e.title ?? `Write \`${e.type}\` to the outbox.`,
      '',
      `Writes \`${e.type}\` v${e.version} for \`${topic.topic.name}\`${params ? ' (the topic its parameters choose)' : ''} into the outbox, in the client's transaction; Kafka key: ${keyRuleText(e.key)}.`,
      'The payload is validated first; the relay publishes the record once the transaction commits.',
    ],
    '      ',
    e.deprecated ? ['@deprecated'] : [],
  );
  const first = params ? `parameters: ${mod.type(params.type)}, ` : '';
  const target = params ? `${mod.use(params.topicName)}(parameters)` : tsString(topic.topic.name);
  return [doc, `      ${sy.member}: (${first}data: ${input}, options?: ${sendOptions}): Promise<${receipt}> => ${writer}.insert(${target}, ${def}, data, options),`].join('\n');
}

export function emitOutbox(table: SymbolTable, _options: EmitOptions, sources: readonly RuntimeSource[]): GeneratedFile[] {
  const files: GeneratedFile[] = copyTemplates(sources, OUTBOX_DIR);
  files.push({ path: `${OUTBOX_DIR}/migration.sql`, content: renderMigration(MIGRATION_TEMPLATE), ownership: 'managed' });

  const mmod = new TsModule(MIGRATION);
  for (const n of ['OUTBOX_MIGRATION_TEMPLATE', 'OUTBOX_MIGRATION', 'outboxMigration']) mmod.declare(sym(n, MIGRATION));
  const migrationBody = migrationModule(tsString, (l) => jsdoc(l), {
    outboxNames: mmod.use(sym('outboxNames', TABLE)),
    quoteIdent: mmod.use(sym('quoteIdent', TABLE)),
    options: mmod.type(sym('OutboxTableOptions', TABLE, 'type')),
  });
  files.push({ path: MIGRATION, content: mmod.render(migrationBody), ownership: 'managed' });

  // producers.ts: createOutboxProducers(client) with the topics and methods of createProducers.
  const pmod = new TsModule(PRODUCERS);
  const create = pmod.declare(sym('createOutboxProducers', PRODUCERS));
  const producersType = pmod.declare(sym('OutboxProducers', PRODUCERS, 'type'));
  const optionsType = pmod.declare(sym('OutboxProducersOptions', PRODUCERS, 'type'));
  const writerClass = pmod.use(sym('OutboxWriter', WRITER));
  const writerOptions = pmod.type(sym('OutboxWriterOptions', WRITER, 'type'));
  const client = pmod.type(sym('OutboxClient', TABLE, 'type'));
  const topics = table.topics.filter((t): t is TopicSymbols & { producer: Sym } => t.producer !== undefined);
  const members = topics.map((t) =>
    [
      `    ${t.member}: {`,
      ...t.topic.produced.map((type) => method(table, pmod, t, table.event(type), 'writer')),
      '    },',
    ].join('\n'),
  );
  const producersBody = [
    jsdoc(`Options of \`${create}\`: the writer's, \`source\` defaulting to the catalog's (\`${table.catalog.source.replace(/[*`\\]/g, '')}\`).`),
    `export type ${optionsType} = Omit<${writerOptions}, 'source'> & { source?: string };`,
    '',
    jsdoc([
      'The typed producers of the catalog, writing into the transactional outbox with `client` (docs/outbox.md): the same',
      'topics, methods and payload types as `createProducers`, each validating its payload and building the envelope as',
      'the Kafka producer does, then INSERTing the record with `client` — call it inside your transaction',
      '(`BEGIN` … `COMMIT` on a `pg` `PoolClient`), so the event is written exactly when your business rows are.',
    ]),
    `export function ${create}(client: ${client}, options: ${optionsType} = {}) {`,
    `  const writer = new ${writerClass}(client, { ...options, source: options.source ?? ${tsString(table.catalog.source)} });`,
    '  return {',
    ...members,
    '  };',
    '}',
    '',
    jsdoc('The typed outbox producers of the catalog, by topic.'),
    `export type ${producersType} = ReturnType<typeof ${create}>;`,
  ].join('\n');
  files.push({ path: PRODUCERS, content: pmod.render(producersBody), ownership: 'managed' });

  const imod = new TsModule(INDEX);
  for (const f of [TABLE, WRITER, RELAY, STORE, MIGRATION, PRODUCERS]) imod.reexportAll(f);
  files.push({ path: INDEX, content: imod.render('// The transactional outbox (docs/outbox.md): createOutboxProducers, createOutboxRelay, PgProcessedStore, the migration.'), ownership: 'managed' });
  return files;
}
