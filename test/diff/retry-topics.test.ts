/** `gen diff` on `x-retry.mode: topics`: retry topics added (non-breaking), removed or renamed (breaking), delays changed. */
import { describe, expect, it } from 'vitest';
import { catalog, diffYaml } from './helpers.js';

const BASE = catalog();
const TOPICS = (extra = '') => catalog({ channel: `    x-retry:\n      mode: topics\n      delays: [5s, 30s]\n${extra}` });

function rules(base: string, head: string): Array<[string, string]> {
  return diffYaml(base, head)
    .filter((c) => c.rule.startsWith('retry-topics'))
    .map((c) => [c.rule, c.severity]);
}

describe('gen diff: retry topics', () => {
  it('added is non-breaking, removed is breaking (records waiting in them are stranded), located at x-retry', () => {
    expect(rules(BASE, TOPICS())).toEqual([['retry-topics-added', 'non-breaking']]);
    expect(rules(TOPICS(), BASE)).toEqual([['retry-topics-removed', 'breaking']]);
    const added = diffYaml(BASE, TOPICS()).find((c) => c.rule === 'retry-topics-added');
    expect(added?.head?.line).toBeGreaterThan(0);
  });

  it('renamed or fewer stages: breaking; more stages: non-breaking; other delays or settings: info', () => {
    expect(rules(TOPICS(), TOPICS('      topicName: "retry.{group}.{topic}.{n}"\n'))).toEqual([['retry-topics-renamed', 'breaking']]);
    const three = catalog({ channel: '    x-retry:\n      mode: topics\n      delays: [5s, 30s, 5m]\n' });
    const one = catalog({ channel: '    x-retry:\n      mode: topics\n      delays: [5s]\n' });
    const slower = catalog({ channel: '    x-retry:\n      mode: topics\n      delays: [10s, 30s]\n' });
    expect(rules(TOPICS(), three)).toEqual([['retry-topics-changed', 'non-breaking']]);
    expect(rules(TOPICS(), one)).toEqual([['retry-topics-removed', 'breaking']]);
    expect(rules(TOPICS(), slower)).toEqual([['retry-topics-changed', 'info']]);
    expect(rules(TOPICS(), TOPICS('      retentionMs: 3600000\n'))).toEqual([['retry-topics-changed', 'info']]);
    expect(rules(BASE, BASE)).toEqual([]);
  });

  it('a group\'s own retry topics (receive operation x-retry) are compared per group', () => {
    const group = (retry: string) => BASE.replace('          const: billing-service\n', `          const: billing-service\n    x-retry: ${retry}\n`);
    expect(rules(BASE, group('{ mode: topics, delays: [5s] }'))).toEqual([['retry-topics-added', 'non-breaking']]);
    expect(rules(group('{ mode: topics, delays: [5s] }'), BASE)).toEqual([['retry-topics-removed', 'breaking']]);
    const removed = diffYaml(group('{ mode: topics, delays: [5s] }'), BASE).find((c) => c.rule === 'retry-topics-removed');
    expect(removed?.subject).toBe('shop.orders.v1 (group billing-service)');
    // The channel's retry topics stay, one group opts out: its records waiting in them are stranded.
    const channel = (extra: string) => catalog({ channel: '    x-retry:\n      mode: topics\n      delays: [5s]\n' }).replace('          const: billing-service\n', `          const: billing-service\n${extra}`);
    expect(rules(channel(''), channel('    x-retry: { mode: in-process }\n'))).toEqual([['retry-topics-removed', 'breaking']]);
    expect(rules(group('{ mode: topics, delays: [5s] }'), group('{ mode: topics, delays: [5s] }'))).toEqual([]);
  });
});
