/**
 * A synthetic catalog of any size, shaped like real ones: topics carrying several event types, shared
 * schemas reused by events, nested objects, enums, formats, consumer groups over overlapping topics.
 */
export function syntheticCatalog(events: number, perTopic = 10, groups = 10): string {
  const topics = Math.ceil(events / perTopic);
  const lines: string[] = [
    'asyncapi: 3.0.0',
    'info:',
    `  title: Synthetic ${events}`,
    '  version: 1.0.0',
    'servers:',
    '  local: { host: localhost:9092, protocol: kafka }',
    'channels:',
  ];
  for (let t = 0; t < topics; t++) {
    lines.push(`  topic${t}:`, `    address: domain${t}.events.v1`, `    bindings: { kafka: { partitions: 6, replicas: 3, topicConfiguration: { retention.ms: 604800000, cleanup.policy: [delete] } } }`, '    messages:');
    for (let e = t * perTopic; e < Math.min(events, (t + 1) * perTopic); e++) lines.push(`      event${e}: { $ref: '#/components/messages/event${e}' }`);
  }
  lines.push('operations:');
  for (let t = 0; t < topics; t++) {
    lines.push(`  send${t}: { action: send, channel: { $ref: '#/channels/topic${t}' } }`);
    for (let g = 0; g < 2; g++) {
      const group = (t + g * 3) % groups;
      lines.push(`  receive${t}x${g}:`, '    action: receive', `    channel: { $ref: '#/channels/topic${t}' }`, `    bindings: { kafka: { groupId: { type: string, enum: [group-${group}] } } }`);
    }
  }
  lines.push('components:', '  messages:');
  for (let e = 0; e < events; e++) {
    lines.push(
      `    event${e}:`,
      `      name: entity${Math.floor(e / perTopic)}.changed${e % perTopic}`,
      `      summary: Entity ${e} changed.`,
      '      x-event-version: 1.2.0',
      '      x-partition-key: { field: id }',
      '      payload:',
      '        type: object',
      '        required: [id, at, amount]',
      '        properties:',
      '          id: { type: string, format: uuid }',
      '          at: { type: string, format: date-time }',
      '          amount: { $ref: "#/components/schemas/Money" }',
      '          address: { $ref: "#/components/schemas/Address" }',
      '          status: { type: string, enum: [new, active, closed] }',
      `          note${e}: { type: [string, "null"], maxLength: 200 }`,
      '          tags: { type: array, items: { type: string }, maxItems: 10 }',
      '      examples:',
      `        - payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, at: '2026-01-01T00:00:00Z', amount: { amount: 1, currency: EUR } }`,
    );
  }
  lines.push(
    '  schemas:',
    '    Money: { type: object, required: [amount, currency], properties: { amount: { type: integer, minimum: 0 }, currency: { type: string, pattern: "^[A-Z]{3}$" } } }',
    '    Address: { type: object, required: [line1, city], properties: { line1: { type: string }, city: { type: string }, zip: { type: string } } }',
  );
  return lines.join('\n') + '\n';
}
