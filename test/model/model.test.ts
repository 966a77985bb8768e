/** The Catalog model on small in-memory catalogs (no disk, no @asyncapi/parser): mapping rules and checks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, generateFromString } from '../../generator/index.js';

function model(body: string) {
  const result = generateFromString(`asyncapi: 3.0.0\ninfo: { title: Test Shop, version: 1.0.0 }\n${body}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  return { catalog: result.catalog, errors, warnings, diagnostics: result.diagnostics, files: result.files };
}

const ORDERS = `
channels:
  orders:
    address: shop.orders
    bindings: { kafka: { partitions: 3, replicas: 1, bindingVersion: 0.5.0 } }
    messages:
      created:
        name: order.created
        x-partition-key: { field: orderId }
        payload: { type: object, required: [orderId], properties: { orderId: { type: string } } }
      shipped:
        name: order.shipped
        payload: { type: object, properties: { orderId: { type: string } } }
`;

describe('operations → producers and groups', () => {
  it('a catalog without operations produces every channel and has one default group', () => {
    const { catalog, errors } = model(ORDERS);
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.produced).toEqual(['order.created', 'order.shipped']);
    expect(catalog?.groups).toHaveLength(1);
    expect(catalog?.groups[0]).toMatchObject({ groupId: 'test-shop', isDefault: true, subscriptions: [{ topic: 'orders', events: ['order.created', 'order.shipped'] }] });
  });

  it('send operations make producer methods; receive with groupId makes groups; receive without joins the default group', () => {
    const { catalog, errors, files } = model(`${ORDERS}
x-eventgen: { defaultGroup: leftovers }
operations:
  sendCreated:
    action: send
    channel: { $ref: '#/channels/orders' }
    messages: [{ $ref: '#/channels/orders/messages/created' }]
  billing:
    action: receive
    channel: { $ref: '#/channels/orders' }
    messages: [{ $ref: '#/channels/orders/messages/shipped' }]
    bindings: { kafka: { groupId: { type: string, enum: [billing] } } }
  audit:
    action: receive
    channel: { $ref: '#/channels/orders' }
`);
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.produced).toEqual(['order.created']);
    expect(catalog?.groups.map((g) => [g.groupId, g.isDefault, g.subscriptions[0]?.events])).toEqual([
      ['billing', false, ['order.shipped']],
      ['leftovers', true, ['order.created', 'order.shipped']],
    ]);
    const producer = files.find((f) => f.path === 'producers/shop-orders.producer.ts')?.content ?? '';
    expect(producer).toMatch(/orderCreated\(data: OrderCreatedInput/);
    expect(producer).not.toMatch(/orderShipped\(/);
    const billing = files.find((f) => f.path === 'consumers/billing/topics/shop-orders/shop-orders.topic-handler.ts')?.content ?? '';
    expect(billing).toMatch(/ignore: \['order\.created'\]/);
  });

  it('a groupId schema with two values is a located group-id-invalid error', () => {
    const { errors } = model(`${ORDERS}
operations:
  r:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: { type: string, enum: [a, b] } } }
`);
    expect(errors.map((e) => [e.rule, e.location?.line])).toEqual([['group-id-invalid', 21]]);
  });

  it('warns about channels no operation uses', () => {
    const { warnings } = model(`${ORDERS}
  other:
    address: shop.other
    messages:
      m: { name: other.happened, payload: { type: object } }
operations:
  s: { action: send, channel: { $ref: '#/channels/orders' } }
`);
    expect(warnings.map((w) => w.rule)).toContain('channel-unused');
  });

  it('reads AsyncAPI 2.6: subscribe = the application sends, publish = it receives', () => {
    const result = generateFromString(`asyncapi: 2.6.0
info: { title: Legacy, version: 1.0.0 }
channels:
  legacy.orders:
    subscribe:
      message: { name: order.created, payload: { type: object } }
    publish:
      operationId: onPayment
      bindings: { kafka: { groupId: { type: string, enum: [legacy-group] } } }
      message: { name: payment.done, payload: { type: object } }
`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.catalog?.topics[0]?.produced).toEqual(['order.created']);
    expect(result.catalog?.groups.map((g) => [g.groupId, g.subscriptions[0]?.events])).toEqual([['legacy-group', ['payment.done']]]);
  });
});

describe('AsyncAPI 2.0-2.6 and 3.0-3.1: one model', () => {
  const V2 = (version: string): string => `asyncapi: '${version}'
info: { title: Streetlights, version: 1.0.0 }
servers:
  production: { url: 'kafka.bootstrap:9092', protocol: kafka }
channels:
  event.lighting.measured:
    publish:
      bindings: { kafka: { groupId: my-group } }
      operationId: readLightMeasurement
      message: { $ref: '#/components/messages/lightMeasured' }
    subscribe:
      operationId: updateLightMeasurement
      message: { $ref: '#/components/messages/lightMeasured' }
components:
  messages:
    lightMeasured:
      payload: { type: object, properties: { lumens: { type: integer, minimum: 0 } } }
`;

  it.each(['2.0.0', '2.1.0', '2.2.0', '2.6.0'])('reads %s like 2.6 (a plain-string groupId, as Kafka binding 0.1.0 documents wrote it)', async (version) => {
    const result = generateFromString(V2(version));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.catalog?.asyncapiVersion).toBe(version);
    expect(result.catalog?.topics.map((t) => [t.name, t.produced])).toEqual([['event.lighting.measured', ['lightMeasured']]]);
    expect(result.catalog?.groups.map((g) => g.groupId)).toEqual(['my-group']);
  });

  it.each(['1.2.0', '2.0.0-rc2', '3.2.0', '4.0.0'])('refuses AsyncAPI %s where `asyncapi` is written', (version) => {
    const result = generateFromString(`asyncapi: '${version}'\ninfo: { title: t, version: '1' }\nchannels: {}\n`);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.rule, d.location?.line, d.message])).toEqual([
      ['asyncapi-version', 1, `AsyncAPI ${version} is not supported: use 2.0-2.6 or 3.0-3.1`],
    ]);
  });

  it('validates 2.0-2.2 documents with the official parser', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-v20-'));
    try {
      writeFileSync(path.join(dir, 'asyncapi.yaml'), V2('2.0.0').replace('protocol: kafka }', 'protocol: kafka, bogus: 1 }'));
      const result = await generate('asyncapi.yaml', { cwd: dir });
      expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.rule, d.location?.line])).toEqual([['asyncapi-schema', 4]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('traits', () => {
  it('2.x: operation traits give the groupId; message traits merge headers and win over the message (JSON Merge Patch, in order)', () => {
    const result = generateFromString(`asyncapi: 2.3.0
info: { title: T, version: 1.0.0 }
channels:
  users:
    publish:
      traits: [{ $ref: '#/components/operationTraits/kafka' }]
      message:
        name: user.signed-up
        x-event-version: 1.0.0
        traits: [{ $ref: '#/components/messageTraits/common' }]
        headers: { type: object, properties: { sentAt: { type: string } } }
        payload: { type: object }
components:
  operationTraits:
    kafka: { bindings: { kafka: { groupId: my-app-group-id } } }
  messageTraits:
    common:
      x-event-version: 2.0.0
      headers: { type: object, properties: { my-app-header: { type: integer } } }
      bindings: { kafka: { key: { type: string, enum: [users] } } }
`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const event = result.catalog?.events[0];
    expect(result.catalog?.groups.map((g) => g.groupId)).toEqual(['my-app-group-id']);
    expect(event?.version).toBe('2.0.0');
    expect(event?.key).toMatchObject({ kind: 'constant', value: 'users' });
    expect(event?.headers?.kind === 'object' && event.headers.properties.map((p) => p.name)).toEqual(['sentAt', 'my-app-header']);
  });

  it('3.x: the message wins over its traits; operation traits apply too', () => {
    const { catalog, errors } = model(`
channels:
  users:
    address: users
    messages:
      signedUp:
        name: user.signed-up
        x-event-version: 1.0.0
        traits: [{ x-event-version: 2.0.0, summary: From the trait, x-data-classification: confidential }]
        payload: { type: object }
operations:
  onUser:
    action: receive
    channel: { $ref: '#/channels/users' }
    traits: [{ bindings: { kafka: { groupId: { type: string, const: users-app } } } }]
`);
    expect(errors).toEqual([]);
    expect(catalog?.events[0]).toMatchObject({ version: '1.0.0', summary: 'From the trait', classification: 'confidential' });
    expect(catalog?.groups.map((g) => g.groupId)).toEqual(['users-app']);
  });

  it('a traits key spelled with an escape ("tr\\x61its") is applied like any other', () => {
    const { catalog, errors } = model(`
channels:
  users:
    address: users
    messages:
      signedUp:
        name: user.signed-up
        "tr\\x61its": [{ summary: From the trait }]
        payload: { type: object }
`);
    expect(errors).toEqual([]);
    expect(catalog?.events[0]).toMatchObject({ summary: 'From the trait' });
  });

  it("a trait in another file keeps its own $refs right from the message's file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-traits-'));
    try {
      writeFileSync(
        path.join(dir, 'asyncapi.yaml'),
        `asyncapi: 3.0.0\ninfo: { title: T, version: '1' }\nchannels:\n  c:\n    address: t.c\n    messages:\n      m:\n        name: a.b\n        traits: [{ $ref: './traits/common.yaml#/components/messageTraits/common' }]\n        payload: { type: object }\n`,
      );
      mkdirSync(path.join(dir, 'traits'));
      writeFileSync(
        path.join(dir, 'traits/common.yaml'),
        `components:\n  messageTraits:\n    common:\n      headers: { $ref: '#/components/schemas/Headers' }\n  schemas:\n    Headers: { type: object, properties: { tenant: { type: string } } }\n`,
      );
      const result = await generate('asyncapi.yaml', { cwd: dir });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const headers = result.catalog?.events[0]?.headers;
      const target = headers?.kind === 'ref' ? result.catalog?.schemas.find((s) => s.id === headers.target) : undefined;
      expect(target?.originalName).toBe('Headers');
      expect(target?.schema.kind === 'object' && target.schema.properties.map((p) => p.name)).toEqual(['tenant']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nothing to generate: a warning, never a silent empty tree', () => {
  const rules = (d: Array<{ severity: string; rule: string; message: string; location?: { line: number } }>): Array<[string, number | undefined, string]> =>
    d.filter((x) => x.rule === 'nothing-to-generate').map((x) => [x.severity, x.location?.line, x.message]);

  it('a catalog without channels, or with empty channels', () => {
    expect(rules(model('').diagnostics)).toEqual([['warning', 1, 'the catalog declares no channels: the generated tree has only the runtime (no schemas, producers or consumers)']]);
    expect(rules(model('channels: {}').diagnostics)).toEqual([['warning', 3, 'the catalog declares no channels: the generated tree has only the runtime (no schemas, producers or consumers)']]);
    const empty = model('channels:\n  c:\n    address: t.c\n    messages: {}\n');
    expect(empty.warnings.map((w) => w.rule)).toEqual(['channel-no-messages', 'nothing-to-generate']);
    expect(empty.files.some((f) => f.path === 'index.ts')).toBe(true);
  });

  it('an operation with an empty message list generates nothing for it (absent = all messages)', () => {
    const { diagnostics, catalog } = model(`${ORDERS}
operations:
  o:
    action: send
    channel: { $ref: '#/channels/orders' }
    messages: []
`);
    expect(catalog?.topics[0]?.produced).toEqual([]);
    expect(rules(diagnostics)).toEqual([
      ['warning', 21, 'operation "o" lists no messages: nothing is generated for it (omit `messages` for all the channel\'s messages)'],
      ['warning', 17, 'no operation sends or receives a message on a Kafka channel: only schemas and event definitions are generated (a catalog without operations gets producers and a default group for every channel)'],
    ]);
  });

  it('no warning when something is produced or consumed', () => {
    expect(rules(model(ORDERS).diagnostics)).toEqual([]);
  });
});

describe('policies', () => {
  it('merges retry per key: channel over x-eventgen over built-in defaults', () => {
    const { catalog } = model(`x-eventgen: { retry: { maxRetries: 5, initialDelayMs: 100 } }\n${ORDERS.replace('    address: shop.orders', '    address: shop.orders\n    x-retry: { maxRetries: 1 }')}`);
    expect(catalog?.topics[0]?.retry).toEqual({ maxRetries: 1, initialDelayMs: 100, maxDelayMs: 30000, multiplier: 2, jitter: 0.2 });
  });

  it('dead-letter defaults to <topic>.dlq, can be shared or disabled', () => {
    expect(model(ORDERS).catalog?.topics[0]?.deadLetter).toMatchObject({ enabled: true, topic: 'shop.orders.dlq' });
    expect(model(`x-eventgen: { deadLetter: { topic: shop.dlq } }\n${ORDERS}`).catalog?.topics[0]?.deadLetter.topic).toBe('shop.dlq');
    const off = model(ORDERS.replace('    address: shop.orders', '    address: shop.orders\n    x-dead-letter: { enabled: false }'));
    expect(off.catalog?.topics[0]?.deadLetter.enabled).toBe(false);
  });

  it('refuses bad extension values where they are written', () => {
    const { errors } = model(ORDERS.replace('    address: shop.orders', '    address: shop.orders\n    x-retry: { maxRetries: -1, jitter: 3, bogus: 1 }'));
    expect(errors.map((e) => [e.rule, e.location?.pointer])).toEqual([
      ['extension-invalid', '/channels/orders/x-retry/bogus'],
      ['extension-invalid', '/channels/orders/x-retry/maxRetries'],
      ['extension-invalid', '/channels/orders/x-retry/jitter'],
    ]);
  });

  it('checks topic configuration: types, min.insync.replicas vs replicas, compaction without keys', () => {
    const { errors, warnings } = model(
      ORDERS.replace('bindings: { kafka: { partitions: 3, replicas: 1, bindingVersion: 0.5.0 } }', "bindings: { kafka: { partitions: 3, replicas: 1, topicConfiguration: { cleanup.policy: [compact], retention.ms: soon, min.insync.replicas: 2 } } }"),
    );
    expect(errors.map((e) => e.rule).sort()).toEqual(['topic-config-invalid', 'topic-config-invalid']);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/retention\.ms must be an integer >= -1, got "soon"/);
    expect(warnings.map((w) => w.rule)).toContain('topic-compaction-key');
  });

  it('reads x-environments overrides and x-compatibility', () => {
    const { catalog, errors } = model(
      ORDERS.replace('    address: shop.orders', "    address: shop.orders\n    x-environments: { production: { partitions: 24, topicConfiguration: { retention.ms: 86400000 } } }").replace(
        '        name: order.created',
        '        name: order.created\n        x-compatibility: full',
      ),
    );
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.environments).toEqual({ production: { partitions: 24, config: { 'retention.ms': 86400000 } } });
    expect(catalog?.events.find((e) => e.type === 'order.created')?.compatibility).toBe('FULL');
  });
});

describe('partition keys', () => {
  const keyed = (key: string, payload = "{ type: object, required: [customer], properties: { customer: { type: object, required: [id], properties: { id: { type: string }, nick: { type: string } } } } }") =>
    model(`channels:\n  c:\n    address: t.c\n    messages:\n      m:\n        name: a.b\n        x-partition-key: ${key}\n        payload: ${payload}\n`);

  it('accepts a nested required field and a constant', () => {
    expect(keyed('{ field: customer.id }').catalog?.events[0]?.key).toMatchObject({ kind: 'field', path: ['customer', 'id'] });
    expect(keyed('{ constant: all }').catalog?.events[0]?.key).toMatchObject({ kind: 'constant', value: 'all' });
  });

  it.each([
    ['{ field: customer.missing }', /has no property "missing"/],
    ['{ field: customer.nick }', /must be required/],
    ['{ field: customer }', /is object; a key must be a string/],
    ['{ fields: x }', /must be \{ field/],
  ])('refuses %s with a located error', (key, message) => {
    const { errors } = keyed(key);
    expect(errors[0]?.message).toMatch(message);
    expect(errors[0]?.location?.line).toBe(9); // the x-partition-key line
  });

  it('uses a single-value Kafka binding key as a constant key', () => {
    const { catalog } = model(`channels:\n  c:\n    address: t.c\n    messages:\n      m:\n        name: a.b\n        bindings: { kafka: { key: { type: string, enum: [audit] } } }\n        payload: { type: object }\n`);
    expect(catalog?.events[0]?.key).toMatchObject({ kind: 'constant', value: 'audit' });
  });
});

describe('schemas and names', () => {
  it('inlines a component schema used by one event only, keeps shared ones, marks recursion', () => {
    const { catalog, errors } = model(`channels:
  c:
    address: t.c
    messages:
      a: { name: a.happened, payload: { $ref: '#/components/schemas/APayload' } }
      b: { name: b.happened, payload: { type: object, properties: { money: { $ref: '#/components/schemas/Money' }, tree: { $ref: '#/components/schemas/Node' } } } }
components:
  schemas:
    APayload: { type: object, properties: { money: { $ref: '#/components/schemas/Money' } } }
    Money: { type: object, properties: { amount: { type: integer } } }
    Node: { type: object, properties: { children: { type: array, items: { $ref: '#/components/schemas/Node' } } } }
`);
    expect(errors).toEqual([]);
    expect(catalog?.schemas.map((s) => [s.typeName, s.recursive])).toEqual([
      ['Money', false],
      ['Node', true],
    ]);
    expect(catalog?.events[0]?.payload.kind).toBe('object');
  });

  it('reports order.created vs OrderCreated as a name collision with both locations', () => {
    const { errors } = model(`channels:
  c:
    address: t.c
    messages:
      a: { name: order.created, payload: { type: object } }
      b: { name: OrderCreated, payload: { type: object } }
`);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.rule).toBe('name-collision');
    expect(errors[0]?.message).toMatch(/catalog\.asyncapi\.yaml:7:\d+/);
    expect(errors[0]?.location?.line).toBe(8);
  });

  it('names a shared schema that collides with an event "<Name>Data"', () => {
    const { catalog, errors } = model(`channels:
  c:
    address: t.c
    messages:
      a: { name: order.created, payload: { $ref: '#/components/schemas/OrderCreated' } }
      b: { name: order.copied, payload: { $ref: '#/components/schemas/OrderCreated' } }
components:
  schemas:
    OrderCreated: { type: object }
`);
    expect(errors).toEqual([]);
    expect(catalog?.schemas[0]?.typeName).toBe('OrderCreatedData');
  });

  it('reads parameterised channel addresses as templates, refuses illegal ones, and non-Kafka bindings', () => {
    expect(model(`channels:\n  c:\n    address: 'orders.{id}'\n    messages: { m: { name: a.b, payload: { type: object } } }\n`).catalog?.topics[0]?.parameters).toMatchObject([{ name: 'id', type: 'string' }]);
    expect(model(`channels:\n  c:\n    address: 'orders {id}'\n    messages: { m: { name: a.b, payload: { type: object } } }\n`).errors[0]?.message).toMatch(/cannot be a Kafka topic name with its parameters filled in/);
    expect(model(`channels:\n  c:\n    address: 't.c'\n    bindings: { kafka: { topic: 'orders.{id}' } }\n    messages: { m: { name: a.b, payload: { type: object } } }\n`).errors[0]?.message).toMatch(/channel parameters cannot name a Kafka topic/);
    expect(model(`channels:\n  c:\n    address: t.c\n    bindings: { amqp: { is: queue } }\n    messages: { m: { name: a.b, payload: { type: object } } }\n`).errors[0]?.rule).toBe('unsupported-protocol');
  });
});

describe('multi-file catalogs', () => {
  it('locates a problem in the referenced file, not the entry file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-model-'));
    try {
      writeFileSync(
        path.join(dir, 'asyncapi.yaml'),
        `asyncapi: 3.0.0\ninfo: { title: T, version: '1' }\nchannels:\n  c:\n    address: t.c\n    messages:\n      m: { $ref: './m.yaml' }\n`,
      );
      writeFileSync(path.join(dir, 'm.yaml'), `name: a.b\nx-data-classification: secret\npayload: { type: object }\n`);
      const result = await generate('asyncapi.yaml', { cwd: dir, validate: false });
      const error = result.diagnostics.find((d) => d.severity === 'error');
      expect(error).toMatchObject({ rule: 'extension-invalid', location: { file: 'm.yaml', line: 2 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples', () => {
  it('warns, located at the example, when an example does not match its payload schema', () => {
    const { warnings, errors } = model(`channels:
  c:
    address: t.c
    messages:
      m:
        name: a.b
        payload: { type: object, required: [id], additionalProperties: false, properties: { id: { type: string, format: uuid }, n: { type: integer, maximum: 5 } } }
        examples:
          - name: good
            payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, n: 5 }
          - name: bad-format
            payload: { id: nope }
          - payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, n: 6 }
          - payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, extra: 1 }
`);
    expect(errors).toEqual([]);
    const found = warnings.filter((w) => w.rule === 'example-invalid').map((w) => [w.location?.line, w.message.replace(/^.*schema: /, '')]);
    expect(found).toEqual([
      [14, 'id: not a valid uuid'],
      [15, 'n: above 5'],
      [16, 'extra: unexpected property'],
    ]);
  });
});
