/** What the saga emitters share: the files of a saga, its events, the topics it reads and publishes to, symbols. */
import type { Saga, SagaStep } from '../../model/types.js';
import type { SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';

export const SAGAS_DIR = 'sagas';

export interface SagaFiles {
  dir: string;
  flow: string;
  runner: string;
  steps: string;
  index: string;
  stub: (step: SagaStep) => string;
}

export function filesOf(saga: Saga): SagaFiles {
  const dir = `${SAGAS_DIR}/${saga.names.fileName}`;
  return { dir, flow: `${dir}/flow.ts`, runner: `${dir}/runner.ts`, steps: `${dir}/steps.ts`, index: `${dir}/index.ts`, stub: (s) => `${dir}/steps/${s.names.fileName}.step.ts` };
}

/** Every event of the saga a step emits, in first-declared order. */
export function emittedEvents(saga: Saga): string[] {
  const out: string[] = [];
  for (const s of saga.steps) for (const e of [...s.emits, ...(s.failure ? [s.failure] : [])]) if (!out.includes(e)) out.push(e);
  return out;
}

export const outcomes = (s: SagaStep): string[] => [...s.emits, ...(s.failure ? [s.failure] : [])];

/** The topic an event is published to: the first topic without parameters whose producer sends it. */
export function publishTopic(table: SymbolTable, type: string): TopicSymbols {
  const t = table.topics.find((x) => x.parameters === undefined && x.producer !== undefined && x.topic.events.includes(type) && x.topic.produced.includes(type));
  if (!t) throw new Error(`internal: no producer for saga event ${type}`);
  return t;
}

/** The topics (without parameters) carrying an event: where a step triggered by it reads. */
export function triggerTopics(table: SymbolTable, type: string): TopicSymbols[] {
  return table.topics.filter((x) => x.parameters === undefined && x.topic.events.includes(type));
}

export const stepSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}Step`, f.flow, 'type');
export const outcomeSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}Outcome`, f.flow, 'type');
export const stubSym = (f: SagaFiles, s: SagaStep): ReturnType<typeof sym> => sym(`${s.names.typeName}StepHandler`, f.stub(s));

export function stepSentence(s: SagaStep): string {
  const answers = outcomes(s).map((e) => `\`${e}\``);
  return `${s.kind === 'step' ? 'Step' : 'Compensation'} \`${s.name}\`: handles \`${s.on}\` in consumer group \`${s.group}\` and answers with ${answers.length > 1 ? `one of ${answers.join(', ')}` : answers[0]}${s.failure ? ` (\`${s.failure}\` on failure)` : ''}.`;
}
