/** The live channel plan (generator/emit/live): name collisions, patterns, parameterized topics, restricted events. */
import { describe, expect, it } from 'vitest';
import { livePlan } from '../../generator/emit/live/index.js';
import { generateFromString } from '../../generator/index.js';

function plan(yaml: string) {
  const result = generateFromString(yaml);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (result.symbols === undefined) throw new Error('no symbol table');
  return livePlan(result.symbols);
}

const CATALOG = [
  'asyncapi: 3.0.0',
  'info: { title: Plan, version: "1" }',
  'channels:',
  '  a:',
  '    address: user.created', // a topic named like an event type
  '    messages:',
  '      m1: { name: user.created, x-data-classification: public, payload: { type: object } }',
  '      m2: { name: user.deleted, x-data-classification: public, payload: { type: object } }',
  '      m3: { name: lonely.one, x-data-classification: public, payload: { type: object } }',
  '      m4: { name: secret.kept, x-data-classification: restricted, payload: { type: object } }',
  '      m5: { name: secret.seen, x-data-classification: internal, payload: { type: object } }',
  '  b:',
  '    address: "regional.{region}"',
  '    parameters: { region: {} }',
  '    messages:',
  '      m6: { name: region.tick, x-data-classification: public, payload: { type: object } }',
  '  c:',
  '    address: vault',
  '    messages:',
  '      m7: { name: vault.opened, x-data-classification: restricted, payload: { type: object } }',
].join('\n');

describe('livePlan', () => {
  it('declares each name once, patterns only for prefixes shared by two visible events, no restricted or parameterized channels', () => {
    const p = plan(CATALOG);
    const names = p.channels.map((c) => `${c.kind}:${c.name}`);
    expect(names).toEqual(['event:user.created', 'event:user.deleted', 'event:lonely.one', 'event:secret.seen', 'pattern:user.*']);
    // The topic `user.created` lost its name to the event channel: its events still reach their own channels.
    const routes = Object.fromEntries(p.events.map((e) => [e.event.event.type, e.channels]));
    expect(routes).toEqual({
      'user.created': ['user.created', 'user.*'],
      'user.deleted': ['user.deleted', 'user.*'],
      'lonely.one': ['lonely.one'],
      'secret.kept': [],
      'secret.seen': ['secret.seen'],
      'vault.opened': [],
    });
    // `secret.*` would only hold one visible event; the vault topic carries only restricted events; the
    // parameterized topic is not consumed.
    expect(p.topics.map((t) => t.topic.name)).toEqual(['user.created']);
  });
});
