/**
 * `sagas/` (`--with sagas`): one directory per choreography saga of root `x-sagas` (docs/sagas.md).
 *
 * - `flow.ts` (managed): the flow as data (`SAGA`), the events the saga emits (`SagaEmission`), and per step its
 *   outcome type (a discriminated union of exactly the events it may emit) and the interface its handler implements.
 * - `runner.ts` (managed): `createSaga({ transport, producers, steps })` — one runtime consumer per step group,
 *   reading the topics that carry the steps' trigger events; each step's outcome is published with the typed
 *   producers, caused by the handled record (correlation id kept, causation id = the handled event).
 * - `steps/<step>.step.ts` and `steps.ts` (scaffolds, the user's): one class per step, and `createSteps()`.
 */
import type { Saga, SagaStep } from '../../model/types.js';
import type { SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';
import { withScaffoldHeader } from '../header.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';

export const SAGAS_DIR = 'sagas';

interface SagaFiles {
  dir: string;
  flow: string;
  runner: string;
  steps: string;
  index: string;
  stub: (step: SagaStep) => string;
}

function filesOf(saga: Saga): SagaFiles {
  const dir = `${SAGAS_DIR}/${saga.names.fileName}`;
  return { dir, flow: `${dir}/flow.ts`, runner: `${dir}/runner.ts`, steps: `${dir}/steps.ts`, index: `${dir}/index.ts`, stub: (s) => `${dir}/steps/${s.names.fileName}.step.ts` };
}

/** Every event of the saga a step emits, in first-declared order. */
function emittedEvents(saga: Saga): string[] {
  const out: string[] = [];
  for (const s of saga.steps) for (const e of [...s.emits, ...(s.failure ? [s.failure] : [])]) if (!out.includes(e)) out.push(e);
  return out;
}

const outcomes = (s: SagaStep): string[] => [...s.emits, ...(s.failure ? [s.failure] : [])];

/** The topic an event is published to: the first topic without parameters whose producer sends it. */
function publishTopic(table: SymbolTable, type: string): TopicSymbols {
  const t = table.topics.find((x) => x.parameters === undefined && x.producer !== undefined && x.topic.events.includes(type) && x.topic.produced.includes(type));
  if (!t) throw new Error(`internal: no producer for saga event ${type}`);
  return t;
}

/** The topics (without parameters) carrying an event: where a step triggered by it reads. */
function triggerTopics(table: SymbolTable, type: string): TopicSymbols[] {
  return table.topics.filter((x) => x.parameters === undefined && x.topic.events.includes(type));
}

const stepSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}Step`, f.flow, 'type');
const outcomeSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}Outcome`, f.flow, 'type');
const stubSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}StepHandler`, f.stub(s));

function stepSentence(s: SagaStep): string {
  const answers = outcomes(s).map((e) => `\`${e}\``);
  return `${s.kind === 'step' ? 'Step' : 'Compensation'} \`${s.name}\`: handles \`${s.on}\` in consumer group \`${s.group}\` and answers with ${answers.length > 1 ? `one of ${answers.join(', ')}` : answers[0]}${s.failure ? ` (\`${s.failure}\` on failure)` : ''}.`;
}

function flowFile(table: SymbolTable, saga: Saga, f: SagaFiles): GeneratedFile {
  const mod = new TsModule(f.flow);
  const sagaConst = mod.declare(sym('SAGA', f.flow));
  const emission = mod.declare(sym('SagaEmission', f.flow, 'type'));
  const steps = mod.declare(sym('Steps', f.flow, 'type'));
  const stepName = mod.declare(sym('StepName', f.flow, 'type'));
  for (const s of saga.steps) {
    mod.declare(stepSym(f, s));
    mod.declare(outcomeSym(f, s));
  }
  const context = mod.type(table.runtime('EventContext'));
  const events = emittedEvents(saga);
  const body: string[] = [
    jsdoc([`Saga \`${saga.name}\` as declared in the catalog (\`x-sagas\`): its steps and compensations, in order.`, ...(saga.description ? ['', saga.description] : [])]),
    `export const ${sagaConst} = {`,
    `  name: ${tsString(saga.name)},`,
    ...(saga.description ? [`  description: ${tsString(saga.description)},`] : []),
    '  steps: [',
    ...saga.steps.map(
      (s) =>
        `    { name: ${tsString(s.name)}, kind: ${tsString(s.kind)}, on: ${tsString(s.on)}, group: ${tsString(s.group)}, emits: [${s.emits.map(tsString).join(', ')}]${s.failure ? `, failure: ${tsString(s.failure)}` : ''} },`,
    ),
    '  ],',
    '} as const;',
    '',
    jsdoc('An event a step of this saga emits, with its payload: what the generated runner publishes with the typed producers.'),
    `export type ${emission} =`,
    ...events.map((e, i) => `  | { readonly emit: ${tsString(e)}; readonly payload: ${mod.type(table.event(e).input)} }${i === events.length - 1 ? ';' : ''}`),
  ];
  for (const s of saga.steps) {
    const data = mod.type(table.event(s.on).type);
    body.push(
      '',
      jsdoc(`What step \`${s.name}\` may answer with: ${outcomes(s).map((e) => `\`${e}\``).join(' or ')}. Nothing else type-checks.`),
      `export type ${outcomeSym(f, s).name} = Extract<${emission}, { emit: ${outcomes(s).map(tsString).join(' | ')} }>;`,
      '',
      jsdoc([stepSentence(s), ...(s.description ? ['', s.description] : [])]),
      `export interface ${stepSym(f, s).name} {`,
      jsdoc(
        [
          `Handles one \`${s.on}\` and returns the event to emit. Throw \`RetriableError\` for transient failures (retried),`,
          `\`NonRetriableError\` for records that can never succeed (dead-lettered); business failures are ${s.failure ? `\`${s.failure}\`` : 'not declared (no failure event): throw'}.`,
          'May run more than once for one record (at-least-once): make it idempotent, e.g. keyed by `context.eventId`.',
        ],
        '  ',
      ),
      `  handle(data: ${data}, context: ${context}): Promise<${outcomeSym(f, s).name}>;`,
      '}',
    );
  }
  body.push(
    '',
    jsdoc(`The step handlers of saga \`${saga.name}\`, by step (your \`createSteps()\` in steps.ts builds them).`),
    `export interface ${steps} {`,
    ...saga.steps.map((s) => `  ${s.names.memberName}: ${stepSym(f, s).name};`),
    '}',
    '',
    jsdoc('A step name.'),
    `export type ${stepName} = keyof ${steps};`,
  );
  return { path: f.flow, content: mod.render(body.join('\n')), ownership: 'managed' };
}

function runnerFile(table: SymbolTable, saga: Saga, f: SagaFiles): GeneratedFile {
  const mod = new TsModule(f.runner);
  const options = mod.declare(sym('SagaOptions', f.runner, 'type'));
  const runner = mod.declare(sym('SagaRunner', f.runner, 'type'));
  const create = mod.declare(sym('createSaga', f.runner));
  const emission = mod.type(sym('SagaEmission', f.flow, 'type'));
  const steps = mod.type(sym('Steps', f.flow, 'type'));
  const stepName = mod.type(sym('StepName', f.flow, 'type'));
  const producers = mod.type(table.fixed.Producers);
  const groupConsumer = mod.use(table.runtime('GroupConsumer'));
  const groupOptions = mod.type(table.runtime('GroupConsumerOptions'));
  const delegator = mod.use(table.runtime('TopicDelegator'));
  const route = mod.use(table.runtime('route'));
  const routeType = mod.type(table.runtime('Route'));
  const nonRetriable = mod.use(table.runtime('NonRetriableError'));
  const context = mod.type(table.runtime('EventContext'));
  const health = mod.type(table.runtime('ConsumerHealth'));

  const events = emittedEvents(saga);
  const topicsUsed: TopicSymbols[] = [];
  for (const s of saga.steps) for (const t of triggerTopics(table, s.on)) if (!topicsUsed.includes(t)) topicsUsed.push(t);
  const body: string[] = [
    jsdoc([
      'Options of `createSaga`: the consumer options (transport, logger, store, ...) shared by every step consumer.',
      '`fromBeginning` defaults to false here: a step group without committed offsets starts at new records, so a',
      'newly deployed saga does not replay (charge, ship, ...) the topics\' history.',
    ]),
    `export interface ${options} extends Omit<${groupOptions}, 'groupId' | 'topics'> {`,
    '  /** Your step handlers (`createSteps()` of steps.ts). */',
    `  steps: ${steps};`,
    '  /** The typed producers (`createProducers({ transport })`): each outcome is published with them. */',
    `  producers: ${producers};`,
    '  /** Run only these steps (default: all). A service runs the steps it owns; the others run elsewhere. */',
    `  only?: readonly ${stepName}[];`,
    '  /** Consumer group per step instead of the catalog\'s (steps sharing a group id share one consumer). */',
    `  groupIds?: Partial<Record<${stepName}, string>>;`,
    '}',
    '',
    jsdoc(`A running saga \`${saga.name}\`: one consumer per step group.`),
    `export interface ${runner} {`,
    `  readonly consumers: ReadonlyMap<string, ${groupConsumer}>;`,
    '  /** Starts every step consumer (joins the groups). */',
    '  start(): Promise<void>;',
    '  /** Stops every step consumer (finishes in-flight steps, commits, leaves the groups). */',
    '  stop(): Promise<void>;',
    `  health(): ${health}[];`,
    '}',
    '',
    jsdoc('Publishes one outcome, caused by the handled record: same correlation id, causation id = its event id, derived event id.'),
    `async function publish(producers: ${producers}, outcome: ${emission}, context: ${context}): Promise<void> {`,
    '  const options = { causedBy: context };',
    '  switch (outcome.emit) {',
  ];
  for (const e of events) {
    const t = publishTopic(table, e);
    body.push(`    case ${tsString(e)}:`, `      await producers.${t.member}.${table.event(e).member}(outcome.payload, options);`, '      return;');
  }
  body.push(
    '  }',
    '}',
    '',
    jsdoc([
      `Runs saga \`${saga.name}\` (choreography): each step consumes its trigger event in its own consumer group, calls your`,
      'handler, and publishes the event it answers with; compensations answer failure events the same way. Delivery is',
      'at-least-once: a step may see a record again after a crash, so handlers must be idempotent (docs/sagas.md).',
      ...(saga.description ? ['', saga.description] : []),
    ]),
    `export function ${create}(options: ${options}): ${runner} {`,
    '  const { steps, producers, only, groupIds, ...consumerOptions } = options;',
    `  const groups = new Map<string, Map<string, ${routeType}[]>>();`,
    `  const add = (step: ${stepName}, group: string, topic: string, r: ${routeType}): void => {`,
    '    const groupId = groupIds?.[step] ?? group;',
    `    const topics = groups.get(groupId) ?? new Map<string, ${routeType}[]>();`,
    '    groups.set(groupId, topics);',
    '    topics.set(topic, [...(topics.get(topic) ?? []), r]);',
    '  };',
    `  const selected = (step: ${stepName}): boolean => only === undefined || only.includes(step);`,
    `  const check = (step: string, declared: readonly string[], outcome: { emit: string }, context: ${context}): void => {`,
    `    if (!declared.includes(outcome.emit)) throw new ${nonRetriable}(\`saga ${saga.name.replace(/[`$\\]/g, '')}: step \${step} answered \${JSON.stringify(outcome.emit)} to event \${context.eventId}, which it does not declare\`);`,
    '  };',
  );
  for (const s of saga.steps) {
    const m = s.names.memberName;
    const key = tsString(m);
    body.push(
      `  if (selected(${key})) {`,
      `    const handler = {`,
      `      async handle(data: ${mod.type(table.event(s.on).type)}, context: ${context}): Promise<void> {`,
      `        const outcome = await steps.${m}.handle(data, context);`,
      `        check(${tsString(s.name)}, [${outcomes(s).map(tsString).join(', ')}], outcome, context);`,
      '        await publish(producers, outcome, context);',
      '      },',
      '    };',
      ...triggerTopics(table, s.on).map((t) => `    add(${key}, ${tsString(s.group)}, ${mod.use(t.constant)}.name, ${route}(${mod.use(table.event(s.on).definition)}, handler));`),
      '  }',
    );
  }
  const settings = topicsUsed.map((t) => `    [${mod.use(t.constant)}.name, ${mod.use(t.constant)}],`);
  body.push(
    `  const settings = new Map<string, { retry: ${mod.type(table.runtime('RetryPolicy'))}; deadLetter: ${mod.type(table.runtime('DeadLetterPolicy'))}; events: readonly string[] }>([`,
    ...settings,
    '  ]);',
    `  const consumers = new Map<string, ${groupConsumer}>();`,
    '  for (const [groupId, topics] of groups) {',
    '    const delegators = [...topics].map(([topic, routes]) => {',
    '      const s = settings.get(topic);',
    "      const routed = routes.map((r) => (r.kind === 'exact' ? r.eventType : ''));",
    `      return new ${delegator}({ topic, routes, ...(s ? { retry: s.retry, deadLetter: s.deadLetter, ignore: s.events.filter((e) => !routed.includes(e)) } : {}) });`,
    '    });',
    '    // A saga deployed on existing topics reacts to new events only (no replay of history), unless asked to.',
    `    consumers.set(groupId, new ${groupConsumer}({ fromBeginning: false, ...consumerOptions, groupId, topics: delegators }));`,
    '  }',
    '  return {',
    '    consumers,',
    '    async start() {',
    '      for (const c of consumers.values()) await c.start();',
    '    },',
    '    async stop() {',
    '      await Promise.all([...consumers.values()].map((c) => c.stop()));',
    '    },',
    '    health: () => [...consumers.values()].map((c) => c.health()),',
    '  };',
    '}',
  );
  return { path: f.runner, content: mod.render(body.join('\n')), ownership: 'managed' };
}

function stubFile(table: SymbolTable, saga: Saga, f: SagaFiles, s: SagaStep): GeneratedFile {
  const mod = new TsModule(f.stub(s));
  const cls = mod.declare(stubSym(f, s));
  const iface = mod.type(stepSym(f, s));
  const outcome = mod.type(outcomeSym(f, s));
  const context = mod.type(table.runtime('EventContext'));
  const notImplemented = mod.use(table.runtime('NotImplementedError'));
  const data = mod.type(table.event(s.on).type);
  const example = outcomes(s)[0] as string;
  const body = [
    jsdoc([
      `Saga \`${saga.name}\`. ${stepSentence(s)}`,
      ...(s.description ? ['', s.description] : []),
      '',
      `Return the event to emit, e.g. \`return { emit: '${example}', payload: { ... } };\`: the runner publishes it with the`,
      'typed producers, caused by the handled record. The return type admits only the declared events.',
      `Until this step is implemented, every \`${s.on}\` record goes to the dead-letter topic (NotImplementedError).`,
    ]),
    `export class ${cls} implements ${iface} {`,
    `  async handle(_data: ${data}, context: ${context}): Promise<${outcome}> {`,
    `    throw new ${notImplemented}({ eventType: ${tsString(s.on)}, groupId: ${tsString(s.group)}, eventId: context.eventId });`,
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(table.catalog, mod.render(body)), ownership: 'scaffold' };
}

function stepsFile(table: SymbolTable, saga: Saga, f: SagaFiles): GeneratedFile {
  const mod = new TsModule(f.steps);
  const create = mod.declare(sym('createSteps', f.steps));
  const steps = mod.type(sym('Steps', f.flow, 'type'));
  const body = [
    jsdoc([
      `Builds the step handlers of saga \`${saga.name}\`. Pass your dependencies in here. When the catalog adds a step,`,
      'the compiler points at this function until you add it (eventgen never edits this file).',
    ]),
    `export function ${create}(): ${steps} {`,
    '  return {',
    ...saga.steps.map((s) => `    ${s.names.memberName}: new ${mod.use(stubSym(f, s))}(),`),
    '  };',
    '}',
  ].join('\n');
  return { path: f.steps, content: withScaffoldHeader(table.catalog, mod.render(body)), ownership: 'scaffold' };
}

export function emitSagas(table: SymbolTable, _options: EmitOptions): GeneratedFile[] {
  const sagas = table.catalog.sagas ?? [];
  const files: GeneratedFile[] = [];
  const barrel = new TsModule(`${SAGAS_DIR}/index.ts`);
  for (const saga of sagas) {
    const f = filesOf(saga);
    files.push(flowFile(table, saga, f), runnerFile(table, saga, f), stepsFile(table, saga, f));
    for (const s of saga.steps) files.push(stubFile(table, saga, f, s));
    const index = new TsModule(f.index);
    index.reexportAll(f.flow);
    index.reexportAll(f.runner);
    index.reexportAll(f.steps);
    files.push({ path: f.index, content: index.render(''), ownership: 'managed' });
    barrel.reexportNamespace(saga.names.memberName, f.index);
  }
  if (sagas.length > 0) {
    barrel.setHeader(jsdoc('The sagas of the catalog (`x-sagas`), one namespace each: `SAGA`, `Steps`, `createSaga`, `createSteps`, ...'));
    files.push({ path: barrel.path, content: barrel.render(''), ownership: 'managed' });
  }
  return files;
}
