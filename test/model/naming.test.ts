import { describe, expect, it } from 'vitest';
import { camelCase, fileName, isValidIdentifier, kebabCase, memberName, pascalCase, typeName, words } from '../../generator/model/naming.js';

describe('naming', () => {
  it('splits separators and camel humps alike', () => {
    expect(words('order.created')).toEqual(['order', 'created']);
    expect(words('OrderCreated')).toEqual(['order', 'created']);
    expect(words('order_created-v2')).toEqual(['order', 'created', 'v2']);
    expect(words('HTTPServerStarted')).toEqual(['http', 'server', 'started']);
    expect(words('  --  ')).toEqual([]);
  });

  it('cases names', () => {
    expect(pascalCase('order.created')).toBe('OrderCreated');
    expect(camelCase('order.created')).toBe('orderCreated');
    expect(kebabCase('OrderCreated')).toBe('order-created');
    expect(fileName('shop.orders.v1')).toBe('shop-orders-v1');
  });

  it('strips diacritics and keeps other letters', () => {
    expect(pascalCase('café.commandé')).toBe('CafeCommande');
    expect(kebabCase('café.commandé')).toBe('cafe-commande');
    expect(pascalCase('注文.作成')).toBe('注文作成');
  });

  it('makes `order.created` and `OrderCreated` collide (the model reports it)', () => {
    expect(typeName('order.created', 'Event').name).toBe(typeName('OrderCreated', 'Event').name);
  });

  it('guards leading digits', () => {
    expect(typeName('3d.rendered', 'Event')).toMatchObject({ name: 'Event3dRendered' });
    expect(memberName('3d.rendered', 'on')).toMatchObject({ name: 'on3dRendered' });
    expect(fileName('3d.rendered')).toBe('3d-rendered');
  });

  it('guards reserved words, globals and dangerous members', () => {
    expect(typeName('date', 'Event').name).toBe('EventDate');
    expect(typeName('promise', 'Event').name).toBe('EventPromise');
    // Generated and runtime names (EventType, KafkaConfig, ...) are the symbol table's business, not naming's.
    expect(typeName('event.type', 'Event').name).toBe('EventType');
    expect(memberName('constructor', 'on').name).toBe('onConstructor');
    expect(memberName('then', 'on').name).toBe('onThen');
    expect(memberName('__proto__', 'on').name).toBe('onProto');
    expect(memberName('delete', 'on').name).toBe('onDelete');
    expect(typeName('delete', 'Event').name).toBe('Delete');
    expect(memberName('order.created', 'on').adjusted).toBeUndefined();
  });

  it('produces valid identifiers for hostile input', () => {
    for (const raw of ['a b', "it's", '`x`', '${evil}', '</script>', 'constructor', '__proto__', '9lives', 'café']) {
      const t = typeName(raw, 'Event').name;
      const m = memberName(raw, 'on').name;
      expect(isValidIdentifier(t), t).toBe(true);
      expect(isValidIdentifier(m), m).toBe(true);
      expect(fileName(raw)).toMatch(/^[\p{L}\p{N}-]+$/u);
    }
  });

  it('returns empty names when nothing is left (the model reports name-invalid)', () => {
    expect(typeName('!!!', 'Event').name).toBe('');
    expect(fileName('...')).toBe('');
  });
});
