/**
 * Channel parameters in `topics.ts`: for each address with parameters (`orders.{region}`), the type of its values
 * (an enum becomes a union) and the function that fills the address in, checking at run time that each value can
 * be part of a Kafka topic name. Producers and consumers import both through the symbol table.
 */
import type { TopicParameter } from '../model/types.js';
import type { TopicSymbols } from '../symbols/table.js';
import type { TsModule } from './printer.js';
import { jsdoc, propertyAccess, propertyKey, tsString } from './text.js';

/** The TypeScript type of one parameter's values. */
export function parameterType(p: TopicParameter): string {
  if (p.values) return p.values.map((v) => (p.type === 'number' && Number.isFinite(Number(v)) ? String(Number(v)) : tsString(v))).join(' | ');
  return p.type === 'number' ? 'number' : 'string';
}

/** A parameter value literal for generated code (defaults: the enumerated values). */
export function parameterValue(p: TopicParameter, v: string): string {
  return p.type === 'number' && Number.isFinite(Number(v)) ? String(Number(v)) : tsString(v);
}

const templateText = (s: string): string => s.replace(/[`\\]/g, (c) => `\\${c}`).replace(/\$\{/g, '\\${');

/** The module-local helper the topic-name functions share (declared once in `topics.ts`). */
export const TOPIC_SEGMENT = 'topicSegment';

export function topicSegmentHelper(): string {
  return [
    jsdoc('A channel parameter value as part of a Kafka topic name: only `[a-zA-Z0-9._-]`, never empty.'),
    `function ${TOPIC_SEGMENT}(name: string, value: string | number): string {`,
    '  const text = String(value);',
    '  if (!/^[a-zA-Z0-9._-]+$/.test(text)) {',
    "    throw new RangeError(`channel parameter {${name}} = ${JSON.stringify(text)} cannot be part of a Kafka topic name (use [a-zA-Z0-9._-])`);",
    '  }',
    '  return text;',
    '}',
  ].join('\n');
}

/** The parameters interface and the topic-name function of one topic. */
export function topicParameterDeclarations(mod: TsModule, ts: TopicSymbols & { parameters: NonNullable<TopicSymbols['parameters']> }): string {
  const t = ts.topic;
  const params = t.parameters ?? [];
  const type = mod.declare(ts.parameters.type);
  const fn = mod.declare(ts.parameters.topicName);
  const members = params.map((p) =>
    [jsdoc([p.description ?? `Fills \`{${p.name}}\` in \`${t.name}\`.`, ...(p.values ? [`One of the catalog's values: ${p.values.map((v) => `\`${v}\``).join(', ')}.`] : [])], '  '), `  readonly ${propertyKey(p.name)}: ${parameterType(p)};`].join('\n'),
  );
  const literal = t.name
    .split(/(\{[^{}]*\})/)
    .map((part) => {
      const m = /^\{([^{}]*)\}$/.exec(part);
      return m ? `\${${TOPIC_SEGMENT}(${tsString(m[1] ?? '')}, parameters${propertyAccess(m[1] ?? '')})}` : templateText(part);
    })
    .join('');
  return [
    jsdoc(`The channel parameters of \`${t.name}\`: the values that choose the Kafka topic of each record.`),
    `export interface ${type} {`,
    members.join('\n'),
    '}',
    '',
    jsdoc([`The Kafka topic of \`${t.name}\` for these parameter values.`], '', ['@throws RangeError when a value cannot be part of a Kafka topic name, or the name is longer than 249 characters.']),
    `export function ${fn}(parameters: ${type}): string {`,
    `  const topic = \`${literal}\`;`,
    "  if (topic.length > 249) throw new RangeError(`Kafka topic name longer than 249 characters: ${topic}`);",
    '  return topic;',
    '}',
  ].join('\n');
}
