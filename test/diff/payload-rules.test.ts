/** One test per payload rule, under the default BACKWARD mode: rule id, severity, path, both locations. */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../generator/diff/index.js';
import { catalog, diffYaml, edit, lineOf } from './helpers.js';

const PAYLOAD = `        type: object
        required: [orderId, total]
        properties:
          orderId:
            type: string
          total:
            type: number
            minimum: 0
          note:
            type: string
            maxLength: 200
          status:
            type: string
            enum: [open, paid]
          placedAt:
            type: string
            format: date-time
          sku:
            type: string
            pattern: '^[A-Z]{3}-[0-9]+$'
          lines:
            type: array
            items:
              type: integer
          meta:
            type: object
            additionalProperties: true
          count:
            type: integer
          tag:
            type: [string, 'null']
            default: none
          choice:
            oneOf:
              - type: string
              - type: integer
              - type: object
                properties:
                  id: { type: string }`;

const BASE = catalog({ payload: PAYLOAD });

/** The single payload change of order.created with this rule (version-not-bumped is checked elsewhere). */
function one(changes: Change[], rule: string): Change {
  const found = changes.filter((c) => c.rule === rule);
  expect(found, `${rule} in ${JSON.stringify(changes.map((c) => c.rule))}`).toHaveLength(1);
  return found[0] as Change;
}

interface Case {
  name: string;
  /** Another base than BASE. */
  base?: string;
  from: string;
  to: string;
  rule: string;
  severity: Change['severity'];
  path: string;
  /** Text on the line the base / head location must point at (searched after the orderCreated message). */
  baseLine: string;
  headLine: string;
}

const AFTER = 'orderCreated:\n      x-event-type';

const CASES: Case[] = [
  { name: 'optional field added', from: '          count:\n', to: '          coupon:\n            type: string\n          count:\n', rule: 'field-added', severity: 'non-breaking', path: 'payload.coupon', baseLine: '      payload:', headLine: 'coupon:' },
  { name: 'required field added', from: 'required: [orderId, total]\n        properties:\n', to: 'required: [orderId, total, coupon]\n        properties:\n          coupon:\n            type: string\n', rule: 'field-added-required', severity: 'breaking', path: 'payload.coupon', baseLine: '      payload:', headLine: 'coupon:\n' },
  { name: 'required field with default added', from: 'required: [orderId, total]\n        properties:\n', to: 'required: [orderId, total, coupon]\n        properties:\n          coupon:\n            type: string\n            default: NONE\n', rule: 'field-added-with-default', severity: 'non-breaking', path: 'payload.coupon', baseLine: '      payload:', headLine: 'coupon:\n' },
  { name: 'optional field removed', from: '          note:\n            type: string\n            maxLength: 200\n', to: '', rule: 'field-removed', severity: 'non-breaking', path: 'payload.note', baseLine: 'note:', headLine: '      payload:' },
  { name: 'required field removed', from: 'required: [orderId, total]', to: 'required: [orderId]', rule: 'field-now-optional', severity: 'non-breaking', path: 'payload.total', baseLine: 'total:', headLine: 'total:' },
  { name: 'optional field made required', from: 'required: [orderId, total]', to: 'required: [orderId, total, note]', rule: 'field-now-required', severity: 'breaking', path: 'payload.note', baseLine: 'note:', headLine: 'note:' },
  { name: 'integer widened to number', from: 'count:\n            type: integer', to: 'count:\n            type: number', rule: 'type-widened', severity: 'non-breaking', path: 'payload.count', baseLine: 'type: integer\n          tag', headLine: 'type: number\n          tag' },
  { name: 'number narrowed to integer', from: 'total:\n            type: number', to: 'total:\n            type: integer', rule: 'type-narrowed', severity: 'breaking', path: 'payload.total', baseLine: 'type: number', headLine: 'type: integer\n            minimum' },
  { name: 'type changed', from: "type: [string, 'null']\n            default: none", to: "type: [boolean, 'null']\n            default: true", rule: 'type-changed', severity: 'breaking', path: 'payload.tag', baseLine: "type: [string, 'null']", headLine: "type: [boolean, 'null']" },
  { name: 'enum value added', from: 'enum: [open, paid]', to: 'enum: [open, paid, shipped]', rule: 'enum-value-added', severity: 'non-breaking', path: 'payload.status', baseLine: 'enum: [open', headLine: 'enum: [open' },
  { name: 'enum value removed', from: 'enum: [open, paid]', to: 'enum: [open]', rule: 'enum-value-removed', severity: 'breaking', path: 'payload.status', baseLine: 'enum: [open', headLine: 'enum: [open' },
  { name: 'maxLength tightened', from: 'maxLength: 200', to: 'maxLength: 100', rule: 'constraint-tightened', severity: 'breaking', path: 'payload.note', baseLine: 'maxLength', headLine: 'maxLength' },
  { name: 'minimum removed (loosened)', from: '            minimum: 0\n', to: '', rule: 'constraint-loosened', severity: 'non-breaking', path: 'payload.total', baseLine: 'minimum: 0', headLine: 'total:' },
  { name: 'pattern changed', from: "pattern: '^[A-Z]{3}-[0-9]+$'", to: "pattern: '^[A-Z]{4}-[0-9]+$'", rule: 'pattern-changed', severity: 'breaking', path: 'payload.sku', baseLine: 'pattern:', headLine: 'pattern:' },
  { name: 'pattern removed', from: "            pattern: '^[A-Z]{3}-[0-9]+$'\n", to: '', rule: 'pattern-removed', severity: 'non-breaking', path: 'payload.sku', baseLine: 'pattern:', headLine: 'sku:' },
  { name: 'format changed', from: 'format: date-time', to: 'format: date', rule: 'format-changed', severity: 'breaking', path: 'payload.placedAt', baseLine: 'format:', headLine: 'format:' },
  { name: 'format added', from: 'orderId:\n            type: string\n          total', to: 'orderId:\n            type: string\n            format: uuid\n          total', rule: 'format-added', severity: 'breaking', path: 'payload.orderId', baseLine: 'orderId:\n', headLine: 'format: uuid' },
  { name: 'additionalProperties restricted', from: 'additionalProperties: true', to: 'additionalProperties: false', rule: 'additional-properties-restricted', severity: 'breaking', path: 'payload.meta', baseLine: 'additionalProperties', headLine: 'additionalProperties' },
  { name: 'additionalProperties opened', base: edit(BASE, 'additionalProperties: true', 'additionalProperties: false'), from: 'additionalProperties: false', to: 'additionalProperties: true', rule: 'additional-properties-allowed', severity: 'non-breaking', path: 'payload.meta', baseLine: 'additionalProperties', headLine: 'additionalProperties' },
  { name: 'additionalProperties restricted to a schema', from: "          meta:\n            type: object\n            additionalProperties: true", to: "          meta:\n            type: object\n            additionalProperties: { type: string }\n            minProperties: 0", rule: 'additional-properties-restricted', severity: 'breaking', path: 'payload.meta', baseLine: 'additionalProperties', headLine: 'additionalProperties' },
  { name: 'nullable removed', from: "type: [string, 'null']", to: 'type: string', rule: 'nullable-removed', severity: 'breaking', path: 'payload.tag', baseLine: 'tag:', headLine: 'tag:' },
  { name: 'nullable added', from: 'note:\n            type: string', to: "note:\n            type: [string, 'null']", rule: 'nullable-added', severity: 'non-breaking', path: 'payload.note', baseLine: 'note:', headLine: 'note:' },
  { name: 'union member added', from: '              - type: string\n', to: '              - type: string\n              - type: boolean\n', rule: 'union-member-added', severity: 'non-breaking', path: 'payload.choice', baseLine: 'choice:', headLine: '- type: string' }, // a list item is located at its list
  { name: 'union member removed', from: '              - type: string\n', to: '', rule: 'union-member-removed', severity: 'breaking', path: 'payload.choice', baseLine: '- type: string', headLine: 'choice:' },
  { name: 'array items changed', from: 'items:\n              type: integer', to: 'items:\n              type: string', rule: 'type-changed', severity: 'breaking', path: 'payload.lines[]', baseLine: 'type: integer\n          meta', headLine: 'type: string\n          meta' },
  { name: 'default changed', from: 'default: none', to: 'default: unknown', rule: 'default-changed', severity: 'info', path: 'payload.tag', baseLine: 'default:', headLine: 'default:' },
];

describe('payload rules (BACKWARD)', () => {
  it('an unchanged catalog has no changes', () => {
    expect(diffYaml(BASE, BASE)).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.rule} is ${c.severity}`, () => {
      const base = c.base ?? BASE;
      const head = edit(base, c.from, c.to);
      const change = one(diffYaml(base, head), c.rule);
      expect(change.severity).toBe(c.severity);
      expect(change.subject).toBe('order.created');
      expect(change.path).toBe(c.path);
      expect(change.compatibility).toBe('BACKWARD');
      expect(change.base?.file).toBe('base.yaml');
      expect(change.head?.file).toBe('head.yaml');
      expect(change.base?.line, 'base line').toBe(lineOf(base, c.baseLine, AFTER));
      expect(change.head?.line, 'head line').toBe(lineOf(head, c.headLine, AFTER));
    });
  }

  it('reports a payload change without a version bump, and a breaking one without a major bump', () => {
    const head = edit(BASE, 'enum: [open, paid]', 'enum: [open]');
    const v = one(diffYaml(BASE, head), 'version-not-bumped');
    expect(v.severity).toBe('non-breaking');
    expect(v.base?.line).toBe(lineOf(BASE, 'x-event-version'));
    const minor = edit(head, 'x-event-version: 1.0.0', 'x-event-version: 1.1.0');
    const changes = diffYaml(BASE, minor);
    expect(changes.map((c) => c.rule)).not.toContain('version-not-bumped');
    expect(one(changes, 'version-major-not-bumped').severity).toBe('non-breaking');
    expect(diffYaml(BASE, edit(head, 'x-event-version: 1.0.0', 'x-event-version: 2.0.0')).map((c) => c.rule)).toEqual(['enum-value-removed']);
  });
});
