/** `sagas/<saga>/runner.ts`: `createSaga()`, one runtime consumer per step group, outcomes published with the typed producers. */
import type { Saga } from '../../model/types.js';
import type { SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';
import { emittedEvents, outcomes, publishTopic, triggerTopics, type SagaFiles } from './plan.js';

export function runnerFile(table: SymbolTable, saga: Saga, f: SagaFiles): GeneratedFile {
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
