/** The same payload change under each compatibility mode (x-compatibility), as schema registries judge it. */
import { describe, expect, it } from 'vitest';
import type { CompatibilityMode } from '../../generator/model/types.js';
import { catalog, diffYaml, edit, lineOf } from './helpers.js';

const MODES: CompatibilityMode[] = ['BACKWARD', 'FORWARD', 'FULL', 'NONE'];

const OPEN = `        type: object
        required: [orderId]
        properties:
          orderId:
            type: string
          status:
            type: string
            enum: [open, paid]
          note:
            type: string
            default: '-'`;
const REQUIRED_NOTE = `        type: object
        required: [note, orderId]
        properties:
          note:
            type: string
          orderId:
            type: string`;
/** order.cancelled's payload: unlike OPEN, so edits are unambiguous. */
const OTHER = `        type: object
        required: [reason, orderId]
        properties:
          orderId: { type: string }
          reason: { type: string }`;
const CLOSED = OPEN + '\n        additionalProperties: false';

interface Row {
  change: string;
  payload: string;
  from: string;
  to: string;
  rule: string;
  expected: Record<CompatibilityMode, string>;
}

const ROWS: Row[] = [
  { change: 'required field added (narrows)', payload: OPEN, from: 'required: [orderId]\n        properties:\n', to: 'required: [orderId, sku]\n        properties:\n          sku: { type: string }\n', rule: 'field-added-required', expected: { BACKWARD: 'breaking', FORWARD: 'non-breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'enum value added (widens)', payload: OPEN, from: 'enum: [open, paid]', to: 'enum: [open, paid, void]', rule: 'enum-value-added', expected: { BACKWARD: 'non-breaking', FORWARD: 'breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'enum value removed (narrows)', payload: OPEN, from: 'enum: [open, paid]', to: 'enum: [open]', rule: 'enum-value-removed', expected: { BACKWARD: 'breaking', FORWARD: 'non-breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'type changed (both)', payload: OPEN, from: 'status:\n            type: string\n            enum: [open, paid]', to: 'status:\n            type: boolean', rule: 'type-changed', expected: { BACKWARD: 'breaking', FORWARD: 'breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'optional field added to an open object (compatible)', payload: OPEN, from: '          note:\n', to: '          sku: { type: string }\n          note:\n', rule: 'field-added', expected: { BACKWARD: 'non-breaking', FORWARD: 'non-breaking', FULL: 'non-breaking', NONE: 'info' } },
  // Old readers of a closed object dead-letter every record with the new field, whatever the upgrade order: breaking in every mode.
  { change: 'optional field added to a closed object (both)', payload: CLOSED, from: '          note:\n', to: '          sku: { type: string }\n          note:\n', rule: 'field-added', expected: { BACKWARD: 'breaking', FORWARD: 'breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'optional field with a default added to a closed object (both)', payload: CLOSED, from: '          note:\n', to: '          sku: { type: string, default: none }\n          note:\n', rule: 'field-added', expected: { BACKWARD: 'breaking', FORWARD: 'breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'required field removed (widens)', payload: REQUIRED_NOTE, from: 'required: [note, orderId]\n        properties:\n          note:\n            type: string\n', to: 'required: [orderId]\n        properties:\n', rule: 'field-removed', expected: { BACKWARD: 'non-breaking', FORWARD: 'breaking', FULL: 'breaking', NONE: 'info' } },
  { change: 'default changed (info)', payload: OPEN, from: "default: '-'", to: "default: '?'", rule: 'default-changed', expected: { BACKWARD: 'info', FORWARD: 'info', FULL: 'info', NONE: 'info' } },
];

describe('compatibility modes', () => {
  for (const row of ROWS) {
    for (const mode of MODES) {
      it(`${row.change} under ${mode}: ${row.expected[mode]}`, () => {
        const base = catalog({ payload: row.payload, cancelled: OTHER, message: `      x-compatibility: ${mode}\n` });
        const head = edit(base, row.from, row.to);
        const found = diffYaml(base, head).filter((c) => c.rule === row.rule);
        expect(found).toHaveLength(1);
        expect(found[0]?.severity).toBe(row.expected[mode]);
        expect(found[0]?.compatibility).toBe(mode);
      });
    }
  }

  it('judges payload changes under the head mode and reports the mode change', () => {
    const base = catalog({ payload: OPEN, cancelled: OTHER });
    const head = edit(edit(base, 'enum: [open, paid]', 'enum: [open, paid, void]'), '      payload:\n        type: object\n        required: [orderId]\n        properties:\n          orderId:\n            type: string\n          status', '      x-compatibility: FORWARD\n      payload:\n        type: object\n        required: [orderId]\n        properties:\n          orderId:\n            type: string\n          status');
    const changes = diffYaml(base, head);
    const mode = changes.find((c) => c.rule === 'compatibility-changed');
    expect(mode?.severity).toBe('info');
    expect(mode?.base?.line).toBe(lineOf(base, '    orderCreated:\n      x-event-type')); // absent in base: the message
    expect(mode?.head?.line).toBe(lineOf(head, 'x-compatibility'));
    expect(changes.find((c) => c.rule === 'enum-value-added')?.severity).toBe('breaking');
  });
});
