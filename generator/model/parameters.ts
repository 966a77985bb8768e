/**
 * Channel parameters (`orders.{region}`): the address is a template, each record's topic is the template with the
 * parameter values filled in. Producers take the values (typed from the parameter: an enum becomes a union),
 * consumers subscribe to the values they are given (the enumerated ones by default), and topics are provisioned
 * for the enumerated values or each environment's `x-environments.<env>.parameters`.
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import type { Topic, TopicParameter } from './types.js';

/** What one parameter value may contain: it becomes part of a Kafka topic name. */
export const PARAMETER_VALUE = /^[a-zA-Z0-9._-]+$/;

/** Parameter names of an address template, in order (`{a}.x.{b}` → a, b); none for a literal address. */
export function templateParameters(address: string): string[] {
  return [...address.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
}

/** The template with every parameter replaced by `x` (to check the literal parts as a topic name). */
export function templateSample(address: string): string {
  return address.replace(/\{[^{}]*\}/g, 'x');
}

function valuesOf(ctx: ModelContext, raw: unknown, at: At, name: string): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
    ctx.report('error', 'extension-invalid', `the values of parameter {${name}} must be a non-empty list of strings or numbers`, at);
    return undefined;
  }
  const values = [...new Set(raw.map((v) => String(v)))];
  const bad = values.find((v) => !PARAMETER_VALUE.test(v));
  if (bad !== undefined) {
    ctx.report('error', 'topic-name-invalid', `parameter {${name}} value ${JSON.stringify(bad)} cannot be part of a Kafka topic name: use characters from [a-zA-Z0-9._-]`, at);
    return undefined;
  }
  return values;
}

/** The parameters of a channel whose address is `template`, read from the channel's `parameters` (2.x and 3.x shapes). */
export function readParameters(ctx: ModelContext, channelAt: At, template: string, addressAt: At): TopicParameter[] {
  const out: TopicParameter[] = [];
  const names = templateParameters(template);
  for (const name of names) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      ctx.report('error', 'topic-name-invalid', `${JSON.stringify(template)}: parameter {${name}} must be named with [A-Za-z0-9_.-]`, addressAt);
      continue;
    }
    if (out.some((p) => p.name === name)) {
      ctx.report('error', 'topic-name-invalid', `${JSON.stringify(template)} uses parameter {${name}} twice`, addressAt);
      continue;
    }
    const declared = ctx.deref(ctx.child(channelAt, 'parameters', name));
    const param: TopicParameter = { name, type: 'string', loc: ctx.loc(declared?.at ?? addressAt) };
    if (declared && isRecord(declared.value)) {
      const p = declared.value;
      const schema = p.schema !== undefined ? ctx.deref(ctx.child(declared.at, 'schema')) : undefined;
      const s = schema && isRecord(schema.value) ? schema.value : undefined;
      if (s && (s.type === 'integer' || s.type === 'number')) param.type = 'number';
      const enumAt = p.enum !== undefined ? ctx.child(declared.at, 'enum') : s?.enum !== undefined && schema ? ctx.child(schema.at, 'enum') : undefined;
      const values = enumAt ? valuesOf(ctx, ctx.read(enumAt), enumAt, name) : undefined;
      if (values) param.values = values;
      const description = typeof p.description === 'string' ? p.description : typeof s?.description === 'string' ? s.description : undefined;
      if (description) param.description = description;
    }
    out.push(param);
  }
  return out;
}

/** `x-environments.<env>.parameters`: values per parameter name of the topic. */
export function readEnvironmentParameters(ctx: ModelContext, at: At): Record<string, string[]> | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-environments.<env>.parameters must map parameter names to lists of values', at);
    return undefined;
  }
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(raw)) {
    const values = valuesOf(ctx, raw[name], ctx.child(at, name), name);
    if (values) Object.defineProperty(out, name, { value: values, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** After the topic is built: environment values must name parameters of the address; say which topics cannot be provisioned. */
export function checkParameters(ctx: ModelContext, topic: Topic, channelAt: At): void {
  const params = topic.parameters ?? [];
  for (const [env, o] of Object.entries(topic.environments)) {
    for (const [name, values] of Object.entries(o.parameters ?? {})) {
      const at = ctx.child(channelAt, 'x-environments', env, 'parameters', name);
      const param = params.find((p) => p.name === name);
      if (!param) {
        ctx.report('error', 'extension-invalid', `x-environments.${env}.parameters: "${name}" is not a parameter of the address ${JSON.stringify(topic.name)}`, at);
        continue;
      }
      const outside = param.values ? values.filter((v) => !param.values?.includes(v)) : [];
      if (outside.length) {
        ctx.report('error', 'extension-invalid', `x-environments.${env}.parameters.${name}: ${outside.map((v) => JSON.stringify(v)).join(', ')} is not one of the parameter's values (${param.values?.join(', ')}): producers could not send there`, at);
      }
    }
  }
  const open = params.filter((p) => !p.values);
  if (!open.length) return;
  const envs = Object.keys(topic.environments).filter((e) => open.every((p) => topic.environments[e]?.parameters?.[p.name]));
  ctx.report(
    'warning',
    'topic-parameters-open',
    `the topics of ${JSON.stringify(topic.name)} depend on ${open.map((p) => `{${p.name}}`).join(', ')}, which list${open.length === 1 ? 's' : ''} no values: producers take them per record and consumers at start-up, but the topics are provisioned ${envs.length ? `only in ${envs.join(', ')} (x-environments)` : 'nowhere'} (list an enum, or x-environments.<env>.parameters)`,
    channelAt,
  );
}

/** Every combination of values (undefined when a parameter has none). */
export function parameterCombinations(params: readonly TopicParameter[], values: (p: TopicParameter) => readonly string[] | undefined): Array<Record<string, string>> | undefined {
  let combos: Array<Record<string, string>> = [{}];
  for (const p of params) {
    const vs = values(p);
    if (!vs) return undefined;
    combos = combos.flatMap((c) => vs.map((v) => ({ ...c, [p.name]: v })));
  }
  return combos;
}

/** The topic name for one combination of values. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => values[name] ?? `{${name}}`);
}
