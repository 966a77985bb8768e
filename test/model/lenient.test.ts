/**
 * `--lenient`: each spec violation eventgen accepts is refused in strict mode (the parser's or our located error)
 * and read with one located warning saying what was assumed; everything else stays an error; a valid catalog is
 * read identically. Fixtures: test/fixtures/catalogs/lenient/ (one violation each).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, generateFromString, type Diagnostic, type GenerateResult } from '../../generator/index.js';
import { FIXTURES, generateAt, ROOT } from '../support/tree.js';

const dir = path.join(FIXTURES, 'lenient');
const read = (file: string, lenient: boolean): Promise<GenerateResult> => generate(path.relative(ROOT, path.join(dir, file)), { cwd: ROOT, lenient });
const errorsOf = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => x.severity === 'error');
const where = (d: Diagnostic): string => `${d.rule}@${d.location?.line}`;

/** Strict: the first error; lenient: the warnings that say what was assumed. */
const CASES: Record<string, { strict: string; lenient: Array<[string, RegExp]> }> = {
  'root-tags-3.yaml': { strict: 'asyncapi-schema@6', lenient: [['asyncapi-schema@7', /root `tags` is AsyncAPI 2\.x .*: read as `info\.tags` \(--lenient\)$/]] },
  'message-list-3.yaml': { strict: 'asyncapi-schema@9', lenient: [['asyncapi-schema@10', /read as a map keyed by message: orderCreated, order\.cancelled/]] },
  'message-id-3.yaml': { strict: 'asyncapi-schema@15', lenient: [['asyncapi-schema@15', /`messageId` is AsyncAPI 2\.x .*: ignored/]] },
  'message-schema-format-3.yaml': {
    strict: 'asyncapi-schema@19',
    lenient: [
      ['asyncapi-schema@19', /`schemaFormat` on a message is AsyncAPI 2\.x .*: ignored: the payload names the same format \(--lenient\)$/],
      ['asyncapi-schema@25', /`schemaFormat` on a message is AsyncAPI 2\.x .*: read as the payload's \(`payload: \{ schemaFormat: application\/vnd\.apache\.avro;version=1\.9\.0, schema: \.\.\. \}`\)/],
    ],
  },
  'microcks-trait-example-list-3.yaml': { strict: 'asyncapi-schema@17', lenient: [['asyncapi-schema@20', /message trait `examples` entries must be example objects .*: ignored/]] },
  'components-headers-2.yaml': { strict: 'asyncapi-schema@15', lenient: [['asyncapi-schema@15', /`components\.headers` is not part of AsyncAPI: read as `components\.schemas`: Tracing/]] },
  'undefined-security-2.yaml': { strict: 'asyncapi-schema@11', lenient: [['asyncapi-schema@11', /security scheme "saslScram" is not defined .*: ignored \(eventgen takes Kafka credentials from the environment/]] },
  'undefined-security-3.yaml': { strict: 'ref-unresolved@11', lenient: [['asyncapi-schema@11', /security scheme "#\/components\/securitySchemes\/saslScram" is not defined: ignored/]] },
  'boolean-schemas-3.yaml': {
    strict: 'asyncapi-schema@12',
    lenient: [
      ['asyncapi-schema@12', /a boolean schema \(`true`\) is not allowed here in AsyncAPI 3: read as `\{\}` \(any value\)/],
      ['asyncapi-schema@18', /a boolean schema \(`true`\)/],
    ],
  },
  'microcks-examples-2.yaml': {
    strict: 'asyncapi-schema@10',
    lenient: [
      ['asyncapi-schema@34', /message trait `examples` must be a list .*: ignored/],
      ['asyncapi-schema@20', /Microcks' named form .*: read as examples named laurent, john; JSON-encoded payloads and headers decoded/],
    ],
  },
  'plain-group-id-3.yaml': { strict: 'binding-invalid@19', lenient: [['asyncapi-schema@19', /`groupId` must be a schema in AsyncAPI 3, not a plain string: read as `\{ type: string, const: "billing" \}`/]] },
  'address-slash.yaml': { strict: 'topic-name-invalid@8', lenient: [['topic-name-mapped@8', /address "order\/created" is not a Kafka topic name: using topic "order\.created"/]] },
  'other-broker-channel.yaml': { strict: 'unsupported-protocol@16', lenient: [['unsupported-protocol@16', /channel "audit\.logs" has amqp bindings but no kafka binding: read as a channel of another broker and skipped/]] },
};

describe.each(Object.entries(CASES))('lenient fixture %s', (file, want) => {
  it(`strict refuses it (${want.strict}); --lenient reads it with ${want.lenient.length} located warning(s)`, async () => {
    const strict = await read(file, false);
    expect(strict.files).toEqual([]);
    expect(errorsOf(strict.diagnostics).map(where)[0], JSON.stringify(strict.diagnostics, null, 1)).toBe(want.strict);

    const lenient = await read(file, true);
    expect(errorsOf(lenient.diagnostics), JSON.stringify(lenient.diagnostics, null, 1)).toEqual([]);
    expect(lenient.files.length).toBeGreaterThan(0);
    const assumed = lenient.diagnostics.filter((d) => d.severity === 'warning' && /--lenient/.test(d.message));
    expect(assumed.map(where)).toEqual(want.lenient.map(([w]) => w));
    assumed.forEach((d, i) => {
      expect(d.message).toMatch(want.lenient[i]?.[1] ?? /^$/);
      expect(d.location?.file).toBe(`test/fixtures/catalogs/lenient/${file}`);
      expect(d.location?.column).toBeGreaterThan(0);
    });
  });
});

describe('what --lenient assumed is what the model reads', () => {
  it('a message list becomes a map; operations that referred to an entry by index still find it', async () => {
    const { catalog } = await read('message-list-3.yaml', true);
    expect(catalog?.events.map((e) => [e.type, e.messageId])).toEqual([
      ['order.created', 'orderCreated'],
      ['order.cancelled', 'order.cancelled'],
    ]);
    expect(catalog?.topics[0]?.produced).toEqual(['order.cancelled']);
  });

  it('a plain-string groupId names the group', async () => {
    const { catalog } = await read('plain-group-id-3.yaml', true);
    expect(catalog?.groups.map((g) => [g.groupId, g.isDefault])).toEqual([['billing', false]]);
  });

  it('components.headers become shared schemas; boolean payloads accept any value', async () => {
    const headers = await read('components-headers-2.yaml', true);
    const h = headers.catalog?.events[0]?.headers;
    expect(h?.kind === 'ref' && headers.catalog?.schemas.find((s) => s.id === h.target)?.originalName).toBe('Tracing');
    const bools = await read('boolean-schemas-3.yaml', true);
    expect(bools.catalog?.events.map((e) => e.payload.kind)).toEqual(['unknown', 'unknown']);
  });

  it("Microcks examples become named examples with decoded payloads; the trait's header map does not replace them", async () => {
    const { catalog, diagnostics } = await read('microcks-examples-2.yaml', true);
    expect(catalog?.events[0]?.examples).toEqual([
      { name: 'laurent', summary: 'Example for Laurent user', payload: { fullName: 'Laurent Broudoux', age: 41 } },
      { name: 'john', payload: { fullName: 'John Doe', age: 36 } },
    ]);
    expect(diagnostics.filter((d) => d.rule === 'example-invalid')).toEqual([]);
    const h = catalog?.events[0]?.headers;
    expect(h?.kind === 'object' && h.properties.map((p) => p.name)).toEqual(['my-app-header']);
  });

  it('x-eventgen.addressSlash chooses the separator (info diagnostic) in strict mode too', async () => {
    const yaml = 'asyncapi: 3.0.0\ninfo: { title: t, version: "1" }\nx-eventgen: { addressSlash: _ }\nchannels:\n  c:\n    address: /order/created/\n    messages: { m: { name: a.b, payload: { type: object } } }\n';
    const result = generateFromString(yaml);
    expect(errorsOf(result.diagnostics)).toEqual([]);
    expect(result.catalog?.topics.map((t) => t.name)).toEqual(['order_created']);
    expect(result.diagnostics.filter((d) => d.rule === 'topic-name-mapped').map((d) => [d.severity, d.location?.line, d.message])).toEqual([
      ['info', 6, 'address "/order/created/" is read as Kafka topic "order_created" (x-eventgen.addressSlash "_")'],
    ]);
    const root = generateFromString(yaml.replace('/order/created/', '"/"'));
    expect(errorsOf(root.diagnostics).map((d) => d.message)).toEqual(['address "/" names no topic once its slashes are dropped: set bindings.kafka.topic']);
    const bad = generateFromString(yaml.replace('addressSlash: _', 'addressSlash: "/"'));
    expect(errorsOf(bad.diagnostics).map((d) => [d.rule, d.location?.line])).toEqual([
      ['extension-invalid', 3],
      ['topic-name-invalid', 6],
    ]);
  });
});

describe('what --lenient does not accept', () => {
  it('other parser errors stay errors, located in the file as written even when a repair changed the data', async () => {
    const file = path.join(FIXTURES, 'invalid', 'bad-spec.yaml');
    const result = await generate(path.relative(ROOT, file), { cwd: ROOT, lenient: true });
    expect(result.files).toEqual([]);
    expect(errorsOf(result.diagnostics).map(where)).toContain('asyncapi-schema@11');
  });

  it('a repaired document with another violation: the repair is a warning, the violation an error at its line', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'eventgen-lenient-'));
    try {
      writeFileSync(
        path.join(tmp, 'asyncapi.yaml'),
        ['asyncapi: 3.0.0', 'info: { title: t, version: "1" }', 'tags: [{ name: x }]', 'channels:', '  c:', '    address: t.c', '    bogus: 1', '    messages: { m: { name: a.b, payload: { type: object } } }'].join('\n'),
      );
      const result = await generate('asyncapi.yaml', { cwd: tmp, lenient: true });
      expect(result.diagnostics.filter((d) => d.severity !== 'info').map((d) => [d.severity, d.rule, d.location?.line])).toEqual([
        ['warning', 'asyncapi-schema', 3],
        ['error', 'asyncapi-schema', 7],
      ]);
      expect(errorsOf(result.diagnostics)[0]?.message).toBe('Property "bogus" is not expected to be here');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a valid catalog reads the same leniently: same files, same diagnostics', async () => {
    const shop = path.join(ROOT, 'catalog/shop.asyncapi.yaml');
    const strict = await generateAt(shop);
    const lenient = await generate(path.relative(ROOT, shop), { cwd: ROOT, lenient: true, services: ['gateway', 'sagas'] });
    expect(lenient.diagnostics).toEqual(strict.diagnostics);
    expect(lenient.files).toEqual(strict.files);
  });
});
