import { describe, expect, it } from 'vitest';
import { TsModule } from '../../generator/emit/printer.js';

describe('TsModule import printer', () => {
  it('prints sorted, de-duplicated, relative .js imports; packages first; import type when only types', () => {
    const mod = new TsModule('consumers/g/topics/t/t.topic-handler.ts');
    expect(mod.use('route', 'runtime/index.ts')).toBe('route');
    mod.type('EventHandler', 'runtime/index.ts');
    mod.use('route', 'runtime/index.ts');
    mod.type('OrderCreated', 'schemas/order-created.ts');
    mod.use('z', 'zod');
    const out = mod.render('export const x = 1;');
    expect(out).toBe(
      [
        "import { z } from 'zod';",
        "import { type EventHandler, route } from '../../../../runtime/index.js';",
        "import type { OrderCreated } from '../../../../schemas/order-created.js';",
        '',
        'export const x = 1;',
        '',
      ].join('\n'),
    );
  });

  it('upgrades a type-only import when the symbol is also used as a value', () => {
    const mod = new TsModule('a.ts');
    mod.type('X', 'b.ts');
    mod.use('X', 'b.ts');
    expect(mod.render('')).toBe("import { X } from './b.js';\n\n\n");
  });

  it('aliases the same name imported from two modules', () => {
    const mod = new TsModule('index.ts');
    expect(mod.use('Money', 'schemas/shared/money.ts')).toBe('Money');
    expect(mod.use('Money', 'legacy/money.ts')).toBe('Money_2');
    expect(mod.render('')).toContain("import { Money as Money_2 } from './legacy/money.js';");
  });

  it('wraps long import lists one per line', () => {
    const mod = new TsModule('events.ts');
    for (const n of ['AaaaaaaaaaaaaaaaaaaaEvent', 'BbbbbbbbbbbbbbbbbbbbbEvent', 'CcccccccccccccccccccccEvent', 'DdddddddddddddddddddEvent']) mod.use(n, 'x.ts');
    expect(mod.render('')).toMatch(/^import \{\n {2}AaaaaaaaaaaaaaaaaaaaEvent,\n/);
  });
});
