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
import type { SymbolTable } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';
import { withScaffoldHeader } from '../header.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { emittedEvents, filesOf, outcomes, outcomeSym, SAGAS_DIR, stepSentence, stepSym, stubSym, type SagaFiles } from './plan.js';
import { runnerFile } from './runner.js';

export { SAGAS_DIR } from './plan.js';

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
