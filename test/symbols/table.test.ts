/**
 * The symbol table: collisions with the runtime's real exports and the generated code's own names, two groups
 * receiving one event, one event reaching a group from two topics, schema files that import each other, the
 * `__proto__`/`constructor`/`toString` family, 200-character names, and that every exported name of a generated
 * tree is declared in the table with the file that declares it.
 */
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { generate, generateFromString, type GenerateResult } from '../../generator/index.js';
import { isValidIdentifier, MAX_NAME_LENGTH } from '../../generator/model/naming.js';
import type { Diagnostic } from '../../generator/model/types.js';
import { claim, Scope } from '../../generator/symbols/scope.js';
import type { SymbolTable } from '../../generator/symbols/table.js';
import { fixturePath, generateAt, ROOT, writeTree } from '../support/tree.js';

const tableOf = (r: GenerateResult): SymbolTable => {
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (r.symbols === undefined) throw new Error('no symbol table');
  return r.symbols;
};

const catalog = (channels: string, extra = ''): string =>
  ['asyncapi: 3.0.0', 'info: { title: T, version: "1" }', 'channels:', channels, extra].join('\n');

describe('symbol table: names that meet in the root index.ts', () => {
  it('renames events that collide with the runtime\'s real exports, with a located info', () => {
    const r = generateFromString(
      catalog(
        [
          '  c:',
          '    address: t.c',
          '    messages:',
          '      a: { name: envelope, payload: { type: object } }',
          '      b: { name: kafka.config, payload: { type: object } }',
          '      d: { name: order.created, payload: { type: object } }',
        ].join('\n'),
      ),
    );
    const t = tableOf(r);
    expect(t.event('envelope').type.name).toBe('EventEnvelope');
    expect(t.event('envelope').schema.name).toBe('EventEnvelopeSchema');
    expect(t.event('kafka.config').input.name).toBe('EventKafkaConfigInput');
    expect(t.event('order.created').type.name).toBe('OrderCreated'); // untouched
    const info = r.diagnostics.find((d) => d.rule === 'name-adjusted' && d.message.includes('"kafka.config"'));
    expect(info?.message).toContain('"KafkaConfig" in the root index.ts is taken by the runtime');
    expect(info?.location?.line).toBeGreaterThan(0);
    // The names it avoided are the runtime's, read from its sources.
    const runtime = new Set(t.runtimeExports().map((e) => e.name));
    expect(runtime.has('Envelope') && runtime.has('EnvelopeSchema') && runtime.has('KafkaConfig') && runtime.has('KafkaConfigInput')).toBe(true);
  });

  it('keeps every name of the root scope distinct: runtime, schemas, events, topics, producers, NestJS layer, namespaces', async () => {
    const t = tableOf(await generateAt(fixturePath('names')));
    const names = [
      ...t.runtimeExports().map((e) => e.name),
      ...Object.values(t.fixed).map((s) => s.name),
      ...Object.values(t.nest).map((s) => s.name).filter((n) => n !== 'EventHandler'), // the one deliberate overlap
      ...t.events.flatMap((e) => [e.type.name, e.input.name, e.schema.name, e.definition.name]),
      ...t.schemas.flatMap((s) => [s.type.name, s.input.name, s.zod.name]),
      ...t.topics.flatMap((x) => [x.constant.name, ...(x.producer ? [x.producer.name] : [])]),
      ...t.activeGroups().map((g) => g.namespace),
    ];
    expect(names.length - new Set(names).size).toBe(0);
    expect(t.event('kafka.module').type.name).toBe('EventKafkaModule'); // the NestJS layer's KafkaModule
    expect(t.event('event.type').type.name).toBe('EventEventType'); // events.ts's EventType
    expect(t.schema('#/components/schemas/Envelope').type.name).toBe('EnvelopeData');
    expect(t.groups.find((g) => g.group.groupId === 'events')?.namespace).toBe('eventsGroup');
  });

  it('refuses with a located error when every candidate is taken', () => {
    const diagnostics: Diagnostic[] = [];
    const root = new Scope('the root index.ts');
    root.reserve('Envelope', 'the runtime (runtime/index.ts)');
    const loc = { file: 'c.yaml', line: 3, column: 5, pointer: '/x' };
    expect(claim([root], ['Order', 'EventOrder'], (b) => [b, `${b}Schema`], { owner: 'event "order"', loc }, diagnostics)).toBe('Order');
    expect(claim([root], ['Envelope', 'EventEnvelope'], (b) => [b, `${b}Schema`], { owner: 'event "envelope"' }, diagnostics)).toBe('EventEnvelope');
    expect(diagnostics.map((d) => d.severity)).toEqual(['info']);
    expect(claim([root], ['Order', 'EventOrder'], (b) => [b], { owner: 'event "ORDER"', loc: { ...loc, line: 9 } }, diagnostics)).toBe('EventOrder');
    expect(claim([root], ['OrderSchema', 'EventOrder'], (b) => [b], { owner: 'schema "Order"', loc: { ...loc, line: 12 } }, diagnostics)).toBeUndefined();
    expect(diagnostics.at(-1)).toEqual({
      severity: 'error',
      rule: 'name-collision',
      message: 'schema "Order" and event "order" (c.yaml:3:5) both become "OrderSchema" in the root index.ts; rename one of them',
      location: { ...loc, line: 12 },
    });
  });
});

describe('symbol table: consumer groups', () => {
  it('gives two groups receiving one event two handler classes of different names', async () => {
    const t = tableOf(await generateAt(fixturePath('java')));
    const classes = t.activeGroups().flatMap((g) => g.stubs.filter((s) => s.event.event.type === 'io.github.acme.fleet.dtos.VehicleBase').map((s) => s.cls.name));
    expect(classes.sort()).toEqual(['FleetBillingVehicleBaseHandler', 'FleetTrackerVehicleBaseHandler']);
  });

  it('gives one group one handler for an event it reads from two topics, shared by both topic handlers', async () => {
    const t = tableOf(await generateAt(fixturePath('java')));
    const tracker = t.activeGroups().find((g) => g.group.groupId === 'fleet-tracker');
    const vehicle = tracker?.stubs.filter((s) => s.event.event.type === 'io.github.acme.fleet.dtos.VehicleBase') ?? [];
    expect(vehicle).toHaveLength(1);
    expect(vehicle[0]?.topics.map((x) => x.topic.name)).toEqual(['fleet.vehicles.legacy', 'fleet.vehicles.v1']);
    expect(tracker?.subscriptions.map((s) => s.events.map((e) => e.event.type))).toEqual([
      ['io.github.acme.fleet.dtos.VehicleBase', 'io.github.acme.fleet.legacy.EngineChanged'],
      ['io.github.acme.fleet.dtos.VehicleBase'],
    ]);
  });
});

describe('symbol table: schemas', () => {
  it('shortens namespace-style names to their shortest unique suffix', async () => {
    const t = tableOf(await generateAt(fixturePath('java')));
    expect(t.events.map((e) => e.type.name).sort()).toEqual(['EngineChanged', 'VehicleBase']);
    expect(t.schemas.map((s) => s.type.name).sort()).toEqual([
      'DtosEnginePower',
      'LegacyEnginePower',
      'SpringKafkaDefaultHeadersVehicleBase',
      'VehicleBaseData',
      'VehicleElectricPayloadDto',
      'VehicleGasolinePayloadDto',
    ]);
    expect(t.schema('#/components/schemas/io.github.acme.fleet.dtos.EnginePower').file).toBe('schemas/shared/dtos-engine-power.ts');
  });

  it('imports what schema files use from each other (values for schemas, import type for types)', () => {
    const r = generateFromString(
      catalog(
        [
          '  c:',
          '    address: t.c',
          '    messages:',
          "      a: { name: tree.changed, payload: { $ref: '#/components/schemas/Node' } }",
          "      b: { name: leaf.changed, payload: { $ref: '#/components/schemas/Leaf' } }",
        ].join('\n'),
        [
          'components:',
          '  schemas:',
          "    Node: { type: object, properties: { children: { type: array, items: { $ref: '#/components/schemas/Leaf' } } } }",
          // Leaf points back at Node through a union: Node ↔ Leaf is a cycle across two files.
          "    Leaf: { type: object, properties: { parent: { anyOf: [{ $ref: '#/components/schemas/Node' }, { type: string, maxLength: 3 }] } } }",
        ].join('\n'),
      ),
    );
    const t = tableOf(r);
    expect(t.schema('#/components/schemas/Node').schema.recursive).toBe(true);
    const file = (p: string): string => r.files.find((f) => f.path === p)?.content ?? '';
    expect(file('schemas/shared/leaf.ts')).toContain("from './node.js';");
    expect(file('schemas/shared/node.ts')).toContain("from './leaf.js';");
  });

  it('reads a Java-style inheritance cycle as inheritance: files that import each other, validation that terminates', async () => {
    const r = await generateAt(fixturePath('java'));
    tableOf(r);
    expect(r.diagnostics.filter((d) => d.rule === 'schema-inheritance').map((d) => d.location?.line)).toHaveLength(2);
    const dir = writeTree('symbols-java', r.files);
    const mod = (await import(path.join(dir, 'schemas/shared/vehicle-base-data.ts'))) as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const schema = mod['VehicleBaseDataSchema'];
    expect(schema?.safeParse({ vehicleType: 'VehicleElectricPayloadDto', topSpeed: 180, batteryCapacity: 75 }).success).toBe(true);
    expect(schema?.safeParse({ vehicleType: 'VehicleGasolinePayloadDto', fuelCapacity: 50 }).success).toBe(true);
    expect(schema?.safeParse({ vehicleType: 'VehicleElectricPayloadDto' }).success).toBe(false); // batteryCapacity missing
  });

  it('refuses a cycle that never goes through a property or an array item, located', () => {
    const r = generateFromString(
      catalog(
        ['  c:', '    address: t.c', '    messages:', "      a: { name: a.changed, payload: { $ref: '#/components/schemas/A' } }"].join('\n'),
        ['components:', '  schemas:', "    A: { allOf: [{ $ref: '#/components/schemas/B' }] }", "    B: { anyOf: [{ type: string }, { $ref: '#/components/schemas/A' }] }"].join('\n'),
      ),
    );
    const errors = r.diagnostics.filter((d) => d.rule === 'schema-recursion-unguarded');
    expect(errors.map((d) => d.message)).toEqual([
      'schema "A" reaches itself only through allOf/oneOf/anyOf (A → B → A): no value could ever be validated against it; make the cycle go through a property or an array item',
      'schema "B" reaches itself only through allOf/oneOf/anyOf (B → A → B): no value could ever be validated against it; make the cycle go through a property or an array item',
    ]);
    expect(errors.every((d) => (d.location?.line ?? 0) > 0)).toBe(true);
    expect(r.files).toEqual([]);
  });
});

describe('symbol table: hostile and long names', () => {
  it('gives the __proto__ / constructor / toString family valid, distinct, deterministic names', async () => {
    const [a, b] = await Promise.all([generateAt(fixturePath('names')), generateAt(fixturePath('names'))]);
    const t = tableOf(a);
    expect(b.files).toEqual(a.files);
    const family = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'].map((x) => t.event(x));
    expect(family.map((e) => [e.type.name, e.member])).toEqual([
      ['Proto', 'onProto'],
      ['Constructor', 'onConstructor'],
      ['ToString', 'onToString'],
      ['HasOwnProperty', 'onHasOwnProperty'],
      ['ValueOf', 'onValueOf'],
    ]);
    expect(t.activeGroups().map((g) => g.namespace).sort()).toContain('groupProto');
    for (const g of t.activeGroups()) {
      for (const n of [g.namespace, g.handlers.name, g.createConsumer.name, ...g.stubs.map((s) => s.cls.name)]) expect(isValidIdentifier(n), n).toBe(true);
    }
  });

  it('caps 200-character names at 60 characters plus a hash; names that share a prefix stay distinct', async () => {
    const t = tableOf(await generateAt(fixturePath('names')));
    const long = t.events.filter((e) => e.event.type.length > 150);
    expect(long).toHaveLength(2);
    const [x, y] = long;
    expect(x?.type.name).not.toBe(y?.type.name);
    expect(x?.file).not.toBe(y?.file);
    for (const e of long) {
      expect(e.type.name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(isValidIdentifier(e.type.name) && isValidIdentifier(e.member)).toBe(true);
      expect(path.posix.basename(e.file, '.ts').length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(e.file).toMatch(/^schemas\/order-segment00-[a-z0-9-]+-[0-9a-f]{8}\.ts$/);
    }
    const longGroup = t.activeGroups().find((g) => g.group.groupId.length > 150);
    expect(longGroup?.dir).toMatch(/^consumers\/g-grouppart00-[a-z0-9-]+-[0-9a-f]{8}$/);
  });
});

/** Exported declarations of a source (not re-exports): name → 'type' | 'value'. */
function declaredExports(file: string, text: string): Map<string, string> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.canHaveModifiers(st) || !(ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) out.set((d.name as ts.Identifier).text, 'value');
    else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) out.set(st.name.text, 'type');
    else if ((ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st)) && st.name) out.set(st.name.text, 'value');
  }
  return out;
}

/** Every symbol the table declares, by file. */
function tableSymbols(t: SymbolTable): Map<string, Map<string, string>> {
  const all = [
    ...Object.values(t.fixed),
    ...Object.values(t.nest),
    ...t.events.flatMap((e) => [e.type, e.input, e.schema, e.definition]),
    ...t.schemas.flatMap((s) => [s.type, s.input, s.zod]),
    ...t.topics.flatMap((x) => [x.constant, ...(x.producer ? [x.producer] : [])]),
    ...t.activeGroups().flatMap((g) => [g.groupId, g.handlers, g.consumerOptions, g.createConsumer, g.createHandlers, g.module, ...Object.values(g.deprecated), ...g.subscriptions.flatMap((s) => [s.handlerClass, s.eventHandlers]), ...g.stubs.map((s) => s.cls)]),
  ];
  const out = new Map<string, Map<string, string>>();
  for (const s of all) out.set(s.from, (out.get(s.from) ?? new Map<string, string>()).set(s.name, s.kind));
  return out;
}

describe('symbol table: the generated tree declares exactly what the table says', () => {
  it.each(['plain', 'nestjs'] as const)('%s target, bundled catalog and the java fixture', async (target) => {
    for (const file of [path.join(ROOT, 'catalog/shop.asyncapi.yaml'), fixturePath('java')]) {
      const r = await generate(path.relative(ROOT, file), { cwd: ROOT, target, docs: false });
      const t = tableOf(r);
      const declared = tableSymbols(t);
      let checked = 0;
      for (const f of r.files.filter((x) => x.path.endsWith('.ts') && !x.path.startsWith('runtime/') && !x.path.startsWith('scripts/'))) {
        const exported = declaredExports(f.path, f.content);
        for (const [name, kind] of exported) {
          checked++;
          expect(declared.get(f.path)?.get(name), `${f.path} exports ${name}, which the symbol table does not declare there`).toBeDefined();
          expect(declared.get(f.path)?.get(name), `${f.path}: ${name}`).toBe(kind);
        }
      }
      expect(checked).toBeGreaterThan(30);
    }
  });
});
