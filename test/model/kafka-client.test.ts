/**
 * `x-eventgen.kafkaClient` (#18): the catalog names the Kafka client its generated services use; `KAFKA_CLIENT`
 * still overrides it at run time. Read and validated (located error), carried into the gateway and live mains and
 * the NestJS module's settings, and resolved by the runtime's `kafkaClientFromEnv(env, fallback)`.
 */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { KafkaConfigError, kafkaClientFromEnv } from '../../templates/runtime/index.js';

const catalog = (ext: string): string =>
  `asyncapi: 3.0.0\ninfo: { title: Shop, version: "1" }\n${ext}channels:\n  orders:\n    address: shop.orders\n    messages: { created: { name: order.created, payload: { type: object, properties: { id: { type: string } } } } }\noperations:\n  onCreated:\n    action: receive\n    channel: { $ref: '#/channels/orders' }\n`;

const fileOf = (files: ReadonlyArray<{ path: string; content: string }>, suffix: string): string => {
  const f = files.find((x) => x.path.endsWith(suffix));
  if (f === undefined) throw new Error(`no generated file ending in ${suffix}: ${files.map((x) => x.path).join(', ')}`);
  return f.content;
};

describe('x-eventgen.kafkaClient', () => {
  it('platformatic: the gateway and live mains pass it as the fallback of KAFKA_CLIENT; the NestJS settings default to it', () => {
    const text = catalog('x-eventgen: { kafkaClient: platformatic }\n');
    const plain = generateFromString(text, { services: ['gateway', 'live'] });
    expect(plain.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const main of ['gateway/main.ts', 'live/main.ts']) {
      expect(fileOf(plain.files, main)).toMatch(/createTransport\(\{ logger, client: kafkaClientFromEnv\(env, 'platformatic'\) \}\)/);
    }
    const nest = generateFromString(text, { target: 'nestjs' });
    const options = fileOf(nest.files, 'kafka/kafka.options.ts');
    expect(options).toContain("export const CATALOG_KAFKA_CLIENT: KafkaClientName = 'platformatic';");
    expect(options).toContain('client: options.client ?? kafkaClientFromEnv(env, CATALOG_KAFKA_CLIENT),');
  });

  it('absent: the mains keep the runtime default (KAFKA_CLIENT, else kafkajs) and NestJS names kafkajs', () => {
    const text = catalog('');
    const plain = generateFromString(text, { services: ['gateway'] });
    expect(fileOf(plain.files, 'gateway/main.ts')).toMatch(/createTransport\(\{ logger \}\)/);
    expect(fileOf(generateFromString(text, { target: 'nestjs' }).files, 'kafka/kafka.options.ts')).toContain("CATALOG_KAFKA_CLIENT: KafkaClientName = 'kafkajs';");
  });

  it('an unknown client is a located extension-invalid error and nothing is generated', () => {
    const r = generateFromString(catalog('x-eventgen:\n  kafkaClient: rdkafka\n'));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.rule, d.location?.line, d.message])).toEqual([['extension-invalid', 4, 'x-eventgen.kafkaClient must be one of "kafkajs", "platformatic", got "rdkafka"']]);
    expect(r.files).toEqual([]);
  });

  it('kafkaClientFromEnv: KAFKA_CLIENT over the fallback, the fallback when unset or empty, a clear error otherwise', () => {
    expect(kafkaClientFromEnv({}, 'platformatic')).toBe('platformatic');
    expect(kafkaClientFromEnv({ KAFKA_CLIENT: ' ' }, 'platformatic')).toBe('platformatic');
    expect(kafkaClientFromEnv({ KAFKA_CLIENT: 'kafkajs' }, 'platformatic')).toBe('kafkajs');
    expect(kafkaClientFromEnv({ KAFKA_CLIENT: '@platformatic/kafka' })).toBe('platformatic');
    expect(kafkaClientFromEnv({})).toBe('kafkajs');
    expect(() => kafkaClientFromEnv({ KAFKA_CLIENT: 'rdkafka' }, 'platformatic')).toThrow(KafkaConfigError);
  });
});
