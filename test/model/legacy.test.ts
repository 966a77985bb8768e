/** Channel `x-legacy` and message `x-previous-versions` in the model: what is read, what is refused and where. */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';

function model(body: string, asyncapi = '3.0.0') {
  const result = generateFromString(`asyncapi: ${asyncapi}\ninfo: { title: Market, version: 1.0.0 }\n${body}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  return { catalog: result.catalog, errors, files: result.files };
}

const channel = (legacy: string, versions = '', version = '3') => `
channels:
  market:
    address: market.events
    x-legacy: ${legacy}
    messages:
      price:
        name: price.updated
        x-event-version: ${version}
${versions ? `        x-previous-versions: ${versions}\n` : ''}        payload: { type: object, properties: { sku: { type: string }, amountCents: { type: integer } } }
      order:
        name: order.placed
        payload: { type: object, properties: { orderId: { type: string } } }
`;

const located = (errors: ReturnType<typeof model>['errors']) => errors.map((e) => [e.rule, e.location?.pointer, e.message]);

describe('x-legacy (channel)', () => {
  it('is read onto the topic (AsyncAPI 3)', () => {
    const { catalog, errors } = model(channel("{ typeField: type, timestampField: ts, dataField: body, types: { PRICE_UPDATE: price.updated } }"));
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.legacy).toEqual({ typeField: 'type', timestampField: 'ts', dataField: 'body', types: { PRICE_UPDATE: 'price.updated' } });
  });

  it('is read onto the topic (AsyncAPI 2.6 channel)', () => {
    const { catalog, errors } = model(
      `channels:\n  market.events:\n    x-legacy: { typeField: kind, versionField: v }\n    subscribe:\n      message:\n        name: price.updated\n        payload: { type: object }\n`,
      '2.6.0',
    );
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.legacy).toEqual({ typeField: 'kind', versionField: 'v' });
  });

  it('catalogs without it have no legacy format', () => {
    const { catalog } = model(channel('{ typeField: type }').replace('    x-legacy: { typeField: type }\n', ''));
    expect(catalog?.topics[0] && 'legacy' in catalog.topics[0]).toBe(false);
  });

  it('refuses unknown keys, missing typeField, non-string fields, a field named twice and types of other channels, where written', () => {
    const { errors, catalog } = model(channel('{ timestampField: 7, dataField: ts, userIdField: ts, bogus: 1, types: { X: order.shipped, Y: 3 } }'));
    expect(catalog).toBeUndefined();
    expect(located(errors)).toEqual([
      ['extension-invalid', '/channels/market/x-legacy/bogus', expect.stringContaining('unknown property "bogus"')],
      ['extension-invalid', '/channels/market/x-legacy/timestampField', expect.stringContaining('must be a non-empty field name')],
      ['extension-invalid', '/channels/market/x-legacy/userIdField', expect.stringContaining('which x-legacy.dataField names too')],
      ['extension-invalid', '/channels/market/x-legacy', expect.stringContaining('typeField is required')],
      ['extension-invalid', '/channels/market/x-legacy/types/X', expect.stringContaining('"order.shipped", which is not an event of this channel (price.updated, order.placed)')],
      ['extension-invalid', '/channels/market/x-legacy/types/Y', expect.stringContaining('must be an event type')],
    ]);
  });

  it('refuses a value that is not an object', () => {
    expect(located(model(channel('type')).errors)).toEqual([['extension-invalid', '/channels/market/x-legacy', expect.stringContaining('must be an object')]]);
  });
});

describe('x-previous-versions (message)', () => {
  it('is read onto the event, oldest first', () => {
    const { catalog, errors } = model(channel('{ typeField: type }', '[{ version: 1, rename: { price: amount }, defaults: { currency: EUR } }, { version: 2, remove: [legacyFlag] }]'));
    expect(errors).toEqual([]);
    expect(catalog?.events.find((e) => e.type === 'price.updated')?.previousVersions).toEqual([
      { version: 1, rename: { price: 'amount' }, defaults: { currency: 'EUR' } },
      { version: 2, remove: ['legacyFlag'] },
    ]);
    expect(catalog?.events.find((e) => e.type === 'order.placed')?.previousVersions).toBeUndefined();
  });

  it('refuses bad steps where they are written', () => {
    const { errors } = model(channel('{ typeField: type }', '[{ version: 2, rename: { a: 1 } }, { version: 2, x: 1 }, { version: 5 }, { version: 1.5 }, { version: 1, remove: [1], defaults: [] }]'));
    expect(located(errors)).toEqual([
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/0/rename/a', expect.stringContaining('must be a field name')],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/1/x', expect.stringContaining('unknown property "x"')],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/1/version', expect.stringContaining('must be greater than the step before it (2)')],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/2/version', expect.stringContaining("not older than the event's version 3")],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/3/version', expect.stringContaining('non-negative integer')],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/4/version', expect.stringContaining('must be greater than the step before it (2)')],
    ]);
    expect(located(model(channel('{ typeField: type }', '[{ version: 1, remove: [1], defaults: [] }]')).errors)).toEqual([
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/0/remove', expect.stringContaining('list of field names')],
      ['extension-invalid', '/channels/market/messages/price/x-previous-versions/0/defaults', expect.stringContaining('map field names to values')],
    ]);
  });

  it('needs a list and an event version with a major number', () => {
    expect(located(model(channel('{ typeField: type }', '{ version: 1 }')).errors)).toEqual([['extension-invalid', '/channels/market/messages/price/x-previous-versions', expect.stringContaining('non-empty list')]]);
    expect(located(model(channel('{ typeField: type }', '[{ version: 1 }]', 'beta')).errors)).toEqual([['extension-invalid', '/channels/market/messages/price/x-previous-versions', expect.stringContaining('major number')]]);
  });
});
