/**
 * Root `x-sagas`: choreography sagas (docs/sagas.md). Each saga lists forward `steps` (triggered by an event, handled
 * by a consumer group of its own, answering with one of its success events or its failure event) and `compensations`
 * (triggered by an event a step emits, typically a failure, answering with a compensating event). Everything is
 * checked here with located diagnostics: shape (`extension-invalid`), unknown events (`saga-unknown-event`), events
 * no producer of the catalog can send (`saga-event-not-produced`), loops (`saga-cycle`), duplicate names and shared
 * consumer groups (`saga-invalid`).
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import { fileName, memberName, typeName } from './naming.js';
import type { ConsumerGroup, EventType, Saga, SagaStep, Topic } from './types.js';

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const GROUP = /^[A-Za-z0-9._-]{1,249}$/;
const SAGA_KEYS = ['description', 'steps', 'compensations'];
const STEP_KEYS = ['name', 'on', 'group', 'emits', 'failure', 'description'];
const COMPENSATION_KEYS = ['name', 'on', 'group', 'emits', 'description'];

function unknownKeys(ctx: ModelContext, value: Record<string, unknown>, allowed: readonly string[], at: At, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) ctx.report('error', 'extension-invalid', `${what}: unknown property "${key}" (allowed: ${allowed.join(', ')})`, ctx.child(at, key));
  }
}

/** Levenshtein distance, for "did you mean" hints on event names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

export interface SagaInputs {
  events: ReadonlyMap<string, EventType>;
  topics: readonly Topic[];
  groups: readonly ConsumerGroup[];
}

const names = (name: string, prefix: string): { typeName: string; fileName: string; memberName: string } => ({
  typeName: typeName(name, prefix).name,
  fileName: fileName(name),
  memberName: memberName(name, prefix).name,
});

/** Reads and checks root `x-sagas`; invalid sagas are reported and left out. */
export function readSagas(ctx: ModelContext, at: At, inputs: SagaInputs): Saga[] {
  const raw = ctx.read(at);
  if (raw === undefined) return [];
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-sagas must map saga names to { steps, compensations }', at);
    return [];
  }
  // `EventType.topics` holds topic names; ids are accepted too.
  const topicById = new Map([...inputs.topics.map((t) => [t.id, t] as const), ...inputs.topics.map((t) => [t.name, t] as const)]);
  const catalogGroups = new Set(inputs.groups.map((g) => g.groupId));
  const sagas: Saga[] = [];
  const groupOwner = new Map<string, string>();
  const sagaFiles = new Map<string, string>();

  for (const [name, value] of Object.entries(raw)) {
    const sagaAt = ctx.child(at, name);
    const before = ctx.diagnostics.filter((d) => d.severity === 'error').length;
    if (!NAME.test(name)) {
      ctx.report('error', 'extension-invalid', `x-sagas: ${JSON.stringify(name)} is not a valid saga name (a letter, then letters, digits, _ or -; at most 64)`, sagaAt);
      continue;
    }
    if (!isRecord(value)) {
      ctx.report('error', 'extension-invalid', `x-sagas.${name} must be an object with steps (and compensations)`, sagaAt);
      continue;
    }
    unknownKeys(ctx, value, SAGA_KEYS, sagaAt, `x-sagas.${name}`);
    const saga: Saga = { name, steps: [], names: names(name, 'Saga'), loc: ctx.loc(sagaAt) };
    if (typeof value.description === 'string' && value.description.trim()) saga.description = value.description;
    else if (value.description !== undefined) ctx.report('error', 'extension-invalid', `x-sagas.${name}.description must be a non-empty string`, ctx.child(sagaAt, 'description'));
    const otherSaga = sagaFiles.get(saga.names.fileName);
    if (otherSaga !== undefined) ctx.report('error', 'saga-invalid', `saga "${name}" and saga "${otherSaga}" have the same file and type names (${saga.names.fileName}): rename one`, sagaAt);
    sagaFiles.set(saga.names.fileName, name);

    const stepsRaw = value.steps;
    if (!Array.isArray(stepsRaw) || stepsRaw.length === 0) ctx.report('error', 'extension-invalid', `x-sagas.${name}.steps must be a non-empty list of steps`, ctx.child(sagaAt, 'steps'));
    const compRaw = value.compensations;
    if (compRaw !== undefined && !Array.isArray(compRaw)) ctx.report('error', 'extension-invalid', `x-sagas.${name}.compensations must be a list`, ctx.child(sagaAt, 'compensations'));
    const stepAts = new Map<SagaStep, At>();
    const entries: Array<[unknown, At, 'step' | 'compensation']> = [
      ...(Array.isArray(stepsRaw) ? stepsRaw.map((s, i) => [s, ctx.child(sagaAt, 'steps', i), 'step'] as [unknown, At, 'step']) : []),
      ...(Array.isArray(compRaw) ? compRaw.map((s, i) => [s, ctx.child(sagaAt, 'compensations', i), 'compensation'] as [unknown, At, 'compensation']) : []),
    ];
    for (const [s, stepAt, kind] of entries) {
      const step = readStep(ctx, s, stepAt, kind, name, inputs, topicById);
      if (step) {
        saga.steps.push(step);
        stepAts.set(step, stepAt);
      }
    }

    // Names: unique within the saga, also once cased (`cancel-order` and `cancelOrder` name one file).
    const seen = new Map<string, SagaStep>();
    for (const step of saga.steps) {
      for (const key of new Set([step.name, step.names.fileName, step.names.memberName, step.names.typeName])) {
        const other = seen.get(key);
        if (other && other !== step) {
          ctx.report('error', 'saga-invalid', `saga "${name}": step "${step.name}" has the same name as step "${other.name}"${other.name === step.name ? '' : ` once cased (${key})`}: rename one`, ctx.child(stepAts.get(step) as At, 'name'));
          break;
        }
        seen.set(key, step);
      }
    }

    // Consumer groups: a step consumes with a group of its own (Kafka splits a topic's partitions among a group's
    // members: sharing a group with the catalog's consumers or another saga would hide records from one of them).
    const triggeredIn = new Map<string, SagaStep>();
    for (const step of saga.steps) {
      const gAt = ctx.child(stepAts.get(step) as At, 'group');
      if (catalogGroups.has(step.group)) {
        ctx.report('error', 'saga-invalid', `saga "${name}": step "${step.name}" uses group "${step.group}", a consumer group of the catalog's operations; give saga steps groups of their own (e.g. "${step.group}.${saga.names.fileName}"): members of one group share the partitions, so each consumer would miss records`, gAt);
      }
      const owner = groupOwner.get(step.group);
      if (owner !== undefined && owner !== name) ctx.report('error', 'saga-invalid', `saga "${name}": group "${step.group}" is also used by saga "${owner}"; each saga's steps need groups of their own`, gAt);
      groupOwner.set(step.group, name);
      const key = `${step.group}\u0000${step.on}`;
      const twin = triggeredIn.get(key);
      if (twin) ctx.report('error', 'saga-invalid', `saga "${name}": steps "${twin.name}" and "${step.name}" both handle "${step.on}" in group "${step.group}"; one group routes an event to one handler`, ctx.child(stepAts.get(step) as At, 'on'));
      triggeredIn.set(key, step);
    }

    // Flow: compensations answer events of the saga; later steps are normally triggered by earlier ones.
    const emitted = new Set(saga.steps.flatMap((s) => [...s.emits, ...(s.failure ? [s.failure] : [])]));
    const first = saga.steps.find((s) => s.kind === 'step');
    for (const step of saga.steps) {
      if (emitted.has(step.on)) continue;
      if (step.kind === 'compensation') {
        ctx.report('error', 'saga-invalid', `saga "${name}": compensation "${step.name}" is triggered by "${step.on}", which no step of the saga emits (compensations answer a step's failure or outcome)`, ctx.child(stepAts.get(step) as At, 'on'));
      } else if (step !== first) {
        ctx.report('warning', 'saga-disconnected', `saga "${name}": step "${step.name}" is triggered by "${step.on}", which no step of the saga emits: it starts a flow of its own`, ctx.child(stepAts.get(step) as At, 'on'));
      }
    }
    const cycle = findCycle(saga.steps);
    if (cycle) {
      ctx.report('error', 'saga-cycle', `saga "${name}" loops: ${cycle.join(' → ')}; a choreography must end (every event a step emits would trigger it again)`, ctx.child(stepAts.get(saga.steps.find((s) => s.on === cycle[0]) as SagaStep) ?? sagaAt, 'on'));
    }
    if (ctx.diagnostics.filter((d) => d.severity === 'error').length === before) sagas.push(saga);
  }
  return sagas;
}

/** A loop `event → [step] → event → ... → event`, or undefined. */
function findCycle(steps: readonly SagaStep[]): string[] | undefined {
  const next = (event: string): Array<[SagaStep, string]> => steps.filter((s) => s.on === event).flatMap((s) => [...s.emits, ...(s.failure ? [s.failure] : [])].map((e) => [s, e] as [SagaStep, string]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (event: string): string[] | undefined => {
    if (state.get(event) === 'open') return [...path.slice(path.indexOf(event)), event];
    if (state.get(event) === 'done') return undefined;
    state.set(event, 'open');
    path.push(event);
    for (const [step, e] of next(event)) {
      path.push(`[${step.name}]`);
      const found = visit(e);
      if (found) return found;
      path.pop();
    }
    path.pop();
    state.set(event, 'done');
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.on);
    if (found) return found;
  }
  return undefined;
}

function readStep(ctx: ModelContext, raw: unknown, at: At, kind: 'step' | 'compensation', saga: string, inputs: SagaInputs, topicById: ReadonlyMap<string, Topic>): SagaStep | undefined {
  const what = `x-sagas.${saga}.${kind === 'step' ? 'steps' : 'compensations'}[${String(at.pointer.split('/').pop())}]`;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', `${what} must be an object with name, on, group, emits${kind === 'step' ? ' and optionally failure' : ''}`, at);
    return undefined;
  }
  unknownKeys(ctx, raw, kind === 'step' ? STEP_KEYS : COMPENSATION_KEYS, at, what);
  let ok = true;
  const fail = (rule: string, message: string, where: At): void => {
    ctx.report('error', rule, message, where);
    ok = false;
  };
  const name = raw.name;
  if (typeof name !== 'string' || !NAME.test(name)) fail('extension-invalid', `${what}.name must be a step name (a letter, then letters, digits, _ or -; at most 64), got ${JSON.stringify(name)}`, ctx.child(at, 'name'));
  const label = typeof name === 'string' ? `saga "${saga}", ${kind} "${name}"` : what;
  const group = raw.group;
  if (typeof group !== 'string' || !GROUP.test(group)) fail('extension-invalid', `${what}.group must be a Kafka consumer group id (letters, digits, . _ -), got ${JSON.stringify(group)}`, ctx.child(at, 'group'));
  if (raw.description !== undefined && (typeof raw.description !== 'string' || !raw.description.trim())) fail('extension-invalid', `${what}.description must be a non-empty string`, ctx.child(at, 'description'));

  const known = (v: unknown, where: At, role: string): EventType | undefined => {
    if (typeof v !== 'string' || !v) {
      fail('extension-invalid', `${label}: ${role} must be an event type (its wire name, e.g. order.created), got ${JSON.stringify(v)}`, where);
      return undefined;
    }
    const e = inputs.events.get(v);
    if (e) return e;
    const close = [...inputs.events.keys()].map((k) => [k, distance(k, v)] as const).filter(([, d]) => d <= 3).sort((a, b) => a[1] - b[1])[0];
    fail('saga-unknown-event', `${label}: ${role} "${v}" is not an event of the catalog${close ? ` (did you mean "${close[0]}"?)` : ''}; sagas name events by their event type`, where);
    return undefined;
  };
  const plainTopics = (e: EventType): Topic[] => e.topics.map((id) => topicById.get(id)).filter((t): t is Topic => t !== undefined && t.parameters === undefined);
  const on = known(raw.on, ctx.child(at, 'on'), 'on');
  if (on && plainTopics(on).length === 0) fail('saga-invalid', `${label}: "${on.type}" is carried only by topics whose address takes channel parameters; saga steps cannot consume those yet`, ctx.child(at, 'on'));
  const emitted = (e: EventType, where: At): void => {
    if (!plainTopics(e).some((t) => t.produced.includes(e.type))) {
      const carrier = e.topics.map((id) => topicById.get(id)?.name ?? id).join(', ');
      fail('saga-event-not-produced', `${label} emits "${e.type}", but no send operation of the catalog publishes it on a topic without channel parameters (carried by ${carrier}): there is no producer method for it; add it to a send operation`, where);
    }
  };
  const emits: string[] = [];
  if (!Array.isArray(raw.emits) || raw.emits.length === 0) fail('extension-invalid', `${label}: emits must be a non-empty list of event types`, ctx.child(at, 'emits'));
  else
    raw.emits.forEach((v, i) => {
      const where = ctx.child(at, 'emits', i);
      const e = known(v, where, `emits[${i}]`);
      if (!e) return;
      if (emits.includes(e.type)) fail('saga-invalid', `${label}: "${e.type}" is listed twice in emits`, where);
      emitted(e, where);
      emits.push(e.type);
    });
  let failure: string | undefined;
  if (raw.failure !== undefined) {
    const where = ctx.child(at, 'failure');
    const e = known(raw.failure, where, 'failure');
    if (e) {
      if (emits.includes(e.type)) fail('saga-invalid', `${label}: "${e.type}" is both a success event (emits) and the failure event`, where);
      emitted(e, where);
      failure = e.type;
    }
  }
  if (!ok || typeof name !== 'string' || typeof group !== 'string' || !on) return undefined;
  const step: SagaStep = { name, kind, on: on.type, group, emits, names: names(name, 'Step'), loc: ctx.loc(at) };
  if (failure !== undefined) step.failure = failure;
  if (typeof raw.description === 'string') step.description = raw.description;
  return step;
}
