import { describe, expect, it } from 'vitest';
import { TsModule } from '../../generator/emit/printer.js';
import { pkg, sym } from '../../generator/symbols/sym.js';

describe('TsModule import printer', () => {
  it('prints sorted, de-duplicated, relative .js imports; packages first; import type when only types', () => {
    const mod = new TsModule('consumers/g/topics/t/t.topic-handler.ts');
    expect(mod.use(sym('route', 'runtime/index.ts'))).toBe('route');
    mod.use(sym('EventHandler', 'runtime/index.ts', 'type'));
    mod.use(sym('route', 'runtime/index.ts'));
    mod.type(sym('OrderCreated', 'schemas/order-created.ts'));
    mod.use(pkg('zod', 'z'));
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
    mod.type(sym('X', 'b.ts'));
    mod.use(sym('X', 'b.ts'));
    expect(mod.render('')).toBe("import { X } from './b.js';\n");
  });

  it('aliases the same name imported from two modules', () => {
    const mod = new TsModule('index.ts');
    expect(mod.use(sym('Money', 'schemas/shared/money.ts'))).toBe('Money');
    expect(mod.use(sym('Money', 'legacy/money.ts'))).toBe('Money_2');
    expect(mod.render('')).toContain("import { Money as Money_2 } from './legacy/money.js';");
  });

  it('never lets an import shadow a name the file declares', () => {
    const mod = new TsModule('consumers/a/topics/t/events/order-created.event-handler.ts');
    expect(mod.declare(sym('OrderCreated', mod.path))).toBe('OrderCreated');
    expect(mod.use(sym('OrderCreated', 'schemas/order-created.ts', 'type'))).toBe('OrderCreated_2');
    expect(mod.render('')).toBe("import type { OrderCreated as OrderCreated_2 } from '../../../../../schemas/order-created.js';\n");
    expect(() => mod.declare(sym('Other', 'elsewhere.ts'))).toThrow(/belongs to elsewhere.ts/);
  });

  it('prints re-exports after the imports, types with export type, namespaces last', () => {
    const mod = new TsModule('consumers/g/index.ts');
    mod.use(sym('GroupConsumer', 'runtime/index.ts'));
    mod.reexport(sym('ShopTopicHandler', 'consumers/g/topics/shop/shop.topic-handler.ts'));
    mod.reexport(sym('ShopEventHandlers', 'consumers/g/topics/shop/shop.topic-handler.ts', 'type'));
    mod.reexportAll('consumers/g/handlers.ts');
    mod.reexportNamespace('other', 'consumers/other/index.ts');
    expect(mod.render('export const GROUP_ID = "g";')).toBe(
      [
        "import { GroupConsumer } from '../../runtime/index.js';",
        '',
        "export * from './handlers.js';",
        "export { type ShopEventHandlers, ShopTopicHandler } from './topics/shop/shop.topic-handler.js';",
        "export * as other from '../other/index.js';",
        '',
        'export const GROUP_ID = "g";',
        '',
      ].join('\n'),
    );
  });

  it('wraps long import lists one per line', () => {
    const mod = new TsModule('events.ts');
    for (const n of ['AaaaaaaaaaaaaaaaaaaaEvent', 'BbbbbbbbbbbbbbbbbbbbbEvent', 'CcccccccccccccccccccccEvent', 'DdddddddddddddddddddEvent']) mod.use(sym(n, 'x.ts'));
    expect(mod.render('')).toMatch(/^import \{\n {2}AaaaaaaaaaaaaaaaaaaaEvent,\n/);
  });
});
