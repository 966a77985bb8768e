/**
 * `gen schemas plan|register|check` against a real schema registry (Apicurio, `npm run registry:start`): register a
 * catalog's Avro schemas, then check changed catalogs under BACKWARD: a field added without a default is flagged
 * (exit 1, machine-readable verdict), a field added with a default passes. Skips with one line without a registry;
 * REQUIRE_REGISTRY=1 fails instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { SchemaRegistryClient } from '../../templates/runtime/schema-registry.js';
import { registryUrl } from '../support/registry.js';

const registry = await registryUrl('gen schemas registry tests');
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const TOPIC = `egschemas-${run}.orders`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'eg-schemas-'));

/** A one-event Avro catalog; `fields` are extra Avro fields (YAML flow mappings). */
function catalog(name: string, fields: string[] = []): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `asyncapi: 3.0.0
info: { title: Schemas, version: 1.0.0 }
channels:
  orders:
    address: ${TOPIC}
    messages:
      placed:
        name: order.placed
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema:
            type: record
            name: OrderPlaced
            namespace: com.shop
            fields:
              - { name: orderId, type: string }
              - { name: total, type: double }
${fields.map((f) => `              - ${f}`).join('\n')}
`,
  );
  return file;
}

const JSON_TOPIC = `egschemas-${run}.payments`;

/** A one-event JSON Schema catalog with `x-codec: json-schema`; `amount` and `required` vary between versions. */
function jsonCatalog(name: string, options: { amount?: string; required?: string } = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `asyncapi: 3.0.0
info: { title: Schemas, version: 1.0.0 }
channels:
  payments:
    address: ${JSON_TOPIC}
    messages:
      captured:
        name: payment.captured
        x-codec: json-schema
        payload:
          type: object
          required: ${options.required ?? '[paymentId, amount]'}
          properties:
            paymentId: { type: string }
            amount: { type: ${options.amount ?? 'integer'} }
`,
  );
  return file;
}

async function gen(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), cwd: process.cwd(), color: false };
  const code = await main(['schemas', ...argv], io);
  return { code, out, err };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gen schemas without a registry', () => {
  it('plan lists the subjects of the Avro events (TopicNameStrategy by default, RecordNameStrategy by flag)', async () => {
    const v1 = catalog('plan');
    const saved = { a: process.env.REGISTRY_URL, b: process.env.SCHEMA_REGISTRY_URL };
    delete process.env.REGISTRY_URL;
    delete process.env.SCHEMA_REGISTRY_URL;
    const restore = () => {
      if (saved.a !== undefined) process.env.REGISTRY_URL = saved.a;
      if (saved.b !== undefined) process.env.SCHEMA_REGISTRY_URL = saved.b;
    };
    const topic = await gen('plan', '--catalog', v1, '--json');
    const bad = await gen('check', '--catalog', v1).finally(restore);
    expect(topic.code).toBe(0);
    expect(JSON.parse(topic.out).subjects).toEqual([{ subject: `${TOPIC}-value`, topic: TOPIC, eventTypes: ['order.placed'], schemaType: 'AVRO', status: 'unknown' }]);
    const record = await gen('plan', '--catalog', v1, '--subject-strategy', 'topic-record', '--json');
    expect(JSON.parse(record.out).subjects[0].subject).toBe(`${TOPIC}-com.shop.OrderPlaced`);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('needs --registry-url');
  });
});

describe('gen schemas credentials', () => {
  it('sends basic auth (user flag + password from the environment only) or a bearer token; both at once is a usage error', async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 40401, message: 'Subject not found' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const saved = process.env.SCHEMA_REGISTRY_PASSWORD;
    try {
      const v1 = catalog('auth');
      delete process.env.SCHEMA_REGISTRY_PASSWORD;
      const noPassword = await gen('plan', '--catalog', v1, '--registry-url', local, '--registry-user', 'key');
      expect(noPassword.code).toBe(2);
      expect(noPassword.err).toContain('SCHEMA_REGISTRY_PASSWORD');
      process.env.SCHEMA_REGISTRY_PASSWORD = 's3cret';
      const basic = await gen('plan', '--catalog', v1, '--registry-url', local, '--registry-user', 'key', '--json');
      expect(basic.code).toBe(0);
      expect(JSON.parse(basic.out).subjects[0].status).toBe('new-subject');
      expect(seen.at(-1)).toBe(`Basic ${Buffer.from('key:s3cret').toString('base64')}`);
      expect(basic.out + basic.err).not.toContain('s3cret');
      const bearer = await gen('plan', '--catalog', v1, '--registry-url', local, '--registry-token', 't0k', '--json');
      expect(bearer.code).toBe(0);
      expect(seen.at(-1)).toBe('Bearer t0k');
      const both = await gen('plan', '--catalog', v1, '--registry-url', local, '--registry-token', 't0k', '--registry-user', 'key');
      expect(both.code).toBe(2);
      expect(both.err).toContain('not both');
    } finally {
      if (saved === undefined) delete process.env.SCHEMA_REGISTRY_PASSWORD;
      else process.env.SCHEMA_REGISTRY_PASSWORD = saved;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe.skipIf(!registry)('gen schemas on a real registry', () => {
  const url = registry ?? '';
  const client = registry ? new SchemaRegistryClient({ url }) : (undefined as unknown as SchemaRegistryClient);
  afterAll(async () => {
    await client.deleteSubject(`${TOPIC}-value`).catch(() => []);
    await client.deleteSubject(`${TOPIC}-value`, true).catch(() => []);
    await client.deleteSubject(`${JSON_TOPIC}-value`).catch(() => []);
    await client.deleteSubject(`${JSON_TOPIC}-value`, true).catch(() => []);
  });

  it('registers, then check flags a field added without a default (BACKWARD) and passes one added with a default', async () => {
    const v1 = catalog('v1');
    const planned = await gen('plan', '--catalog', v1, '--registry-url', url, '--json');
    expect(JSON.parse(planned.out).subjects[0].status).toBe('new-subject');
    const registered = await gen('register', '--catalog', v1, '--registry-url', url, '--json');
    expect(registered.code).toBe(0);
    const report = JSON.parse(registered.out) as { ok: boolean; subjects: Array<{ status: string; id: number }> };
    expect(report.ok).toBe(true);
    const id = report.subjects[0]?.id as number;
    expect(JSON.parse(await client.schemaById(id))).toMatchObject({ name: expect.stringMatching(/OrderPlaced$/) });
    await client.setCompatibility('BACKWARD', `${TOPIC}-value`);

    const same = await gen('check', '--catalog', v1, '--registry-url', url, '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out).subjects[0]).toMatchObject({ status: 'registered', id });

    const breaking = await gen('check', '--catalog', catalog('v2-breaking', ['{ name: currency, type: string }']), '--registry-url', url, '--json');
    expect(breaking.code).toBe(1);
    expect(JSON.parse(breaking.out)).toMatchObject({ ok: false, subjects: [{ subject: `${TOPIC}-value`, status: 'incompatible' }] });
    const text = await gen('check', '--catalog', catalog('v2-breaking-text', ['{ name: currency, type: string }']), '--registry-url', url);
    expect(text.code).toBe(1);
    expect(text.out).toContain(`${TOPIC}-value  INCOMPATIBLE with the latest version (latest v1)`);

    const compatible = await gen('check', '--catalog', catalog('v2-ok', ['{ name: currency, type: string, default: EUR }']), '--registry-url', url, '--json');
    expect(compatible.code).toBe(0);
    expect(JSON.parse(compatible.out).subjects[0]).toMatchObject({ status: 'compatible', version: 1 });
  });

  it('registers JSON Schema subjects with schemaType JSON; check flags a changed field type and passes a relaxed one', async () => {
    const v1 = jsonCatalog('json-v1');
    const plan = await gen('plan', '--catalog', v1, '--json');
    expect(JSON.parse(plan.out).subjects).toEqual([{ subject: `${JSON_TOPIC}-value`, topic: JSON_TOPIC, eventTypes: ['payment.captured'], schemaType: 'JSON', status: expect.any(String) }]);
    const registered = await gen('register', '--catalog', v1, '--registry-url', url, '--json');
    expect(registered.code).toBe(0);
    const id = (JSON.parse(registered.out) as { subjects: Array<{ id: number }> }).subjects[0]?.id as number;
    const latest = await client.latest(`${JSON_TOPIC}-value`);
    expect(latest).toMatchObject({ id, schemaType: 'JSON' });
    expect(JSON.parse(latest?.schema as string)).toMatchObject({ title: 'PaymentCaptured', required: ['paymentId', 'amount'] });
    await client.setCompatibility('BACKWARD', `${JSON_TOPIC}-value`);

    const same = await gen('check', '--catalog', v1, '--registry-url', url, '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out).subjects[0]).toMatchObject({ status: 'registered', id });
    const breaking = await gen('check', '--catalog', jsonCatalog('json-v2-breaking', { amount: 'string' }), '--registry-url', url, '--json');
    expect(breaking.code).toBe(1);
    expect(JSON.parse(breaking.out)).toMatchObject({ ok: false, subjects: [{ subject: `${JSON_TOPIC}-value`, schemaType: 'JSON', status: 'incompatible' }] });
    const text = await gen('check', '--catalog', jsonCatalog('json-v2-breaking-text', { amount: 'string' }), '--registry-url', url);
    expect(text.out).toContain(`${JSON_TOPIC}-value  INCOMPATIBLE with the latest version (latest v1)  payment.captured on ${JSON_TOPIC} (JSON Schema)`);
    const relaxed = await gen('check', '--catalog', jsonCatalog('json-v2-ok', { required: '[paymentId]' }), '--registry-url', url, '--json');
    expect(relaxed.code).toBe(0);
    expect(JSON.parse(relaxed.out).subjects[0]).toMatchObject({ status: 'compatible', version: 1 });
  });

  it('an unreachable registry fails check clearly', async () => {
    const r = await gen('check', '--catalog', catalog('down'), '--registry-url', 'http://127.0.0.1:9/apis/ccompat/v7', '--timeout', '2000');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Schema registry unreachable \(GET http:\/\/127\.0\.0\.1:9\/apis\/ccompat\/v7\/subjects\/.*-value\/versions\/latest\)/);
  });
});
