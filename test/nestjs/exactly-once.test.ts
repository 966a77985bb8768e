/**
 * `x-exactly-once` in the NestJS target (issue #15 part 2): the dispatcher's plan marks the catalog's exactly-once
 * groups and `KafkaConsumerService` starts them with `exactlyOnce: true` and without the module-wide processed store;
 * trees without such a group are unchanged. The fixture type-checks under tsc --strict with the other compile-only
 * fixtures (test/nestjs/golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fixturePath, generateNest, SHOP } from './support.js';

const file = (files: Array<{ path: string; content: string }>, p: string): string => files.find((f) => f.path === p)?.content ?? '';

describe('NestJS: x-exactly-once', () => {
  it('plans the declared group exactly-once and starts its consumer with exactlyOnce: true, no processed store', async () => {
    const result = await generateNest(fixturePath('exactly-once'));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const dispatcher = file(result.files, 'kafka/kafka-dispatcher.ts');
    expect(dispatcher).toContain("const EXACTLY_ONCE_GROUPS: ReadonlySet<string> = new Set<string>(['payment-settler']);");
    expect(dispatcher).toContain('exactlyOnce: EXACTLY_ONCE_GROUPS.has(groupId),');
    const service = file(result.files, 'kafka/kafka-consumer.service.ts');
    expect(service).toContain('if (options.store !== undefined && !plan.exactlyOnce) consumerOptions.store = options.store;');
    expect(service).toContain('if (plan.exactlyOnce) consumerOptions.exactlyOnce = true;');
  });

  it('leaves trees without an exactly-once group as they were', async () => {
    const result = await generateNest(SHOP);
    expect(file(result.files, 'kafka/kafka-dispatcher.ts')).not.toContain('EXACTLY_ONCE');
    expect(file(result.files, 'kafka/kafka-consumer.service.ts')).not.toContain('exactlyOnce');
  });
});
