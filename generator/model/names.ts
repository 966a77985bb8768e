/**
 * Decides every generated name of a catalog (with the rules in `naming.ts`) and reports collisions as
 * located errors. Shared schemas that collide with an event's names get a `Data` suffix (deterministic,
 * reported as info); anything else that collides is an error naming both places.
 */
import type { At, ModelContext } from './context.js';
import { fileName, memberName, typeName } from './naming.js';
import type { Catalog, EventType, SourceLocation } from './types.js';

const where = (loc?: SourceLocation): string => (loc ? `${loc.file}:${loc.line}:${loc.column}` : 'elsewhere');

class Namespace {
  private readonly taken = new Map<string, { owner: string; loc?: SourceLocation }>();

  constructor(private readonly ctx: ModelContext, private readonly caseInsensitive = false) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  conflict(name: string): { owner: string; loc?: SourceLocation } | undefined {
    return this.taken.get(this.key(name));
  }

  /** Claim names for `owner`; on a clash, report a located error and return false. */
  claim(names: string[], owner: string, loc: SourceLocation | undefined): boolean {
    for (const n of names) {
      const prev = this.conflict(n);
      if (prev && prev.owner !== owner) {
        this.ctx.diagnostics.push({
          severity: 'error',
          rule: 'name-collision',
          message: `${owner} and ${prev.owner} (${where(prev.loc)}) both become "${n}" in generated code; rename one of them`,
          ...(loc ? { location: loc } : {}),
        });
        return false;
      }
    }
    for (const n of names) this.taken.set(this.key(n), loc ? { owner, loc } : { owner });
    return true;
  }
}

function invalid(ctx: ModelContext, what: string, raw: string, loc: SourceLocation | undefined): void {
  ctx.diagnostics.push({
    severity: 'error',
    rule: 'name-invalid',
    message: `cannot derive a TypeScript name from ${what} ${JSON.stringify(raw)}: it needs at least one letter or digit`,
    ...(loc ? { location: loc } : {}),
  });
}

function adjusted(ctx: ModelContext, what: string, raw: string, why: string | undefined, loc: SourceLocation | undefined): void {
  if (!why) return;
  ctx.diagnostics.push({ severity: 'info', rule: 'name-adjusted', message: `${what} ${JSON.stringify(raw)} ${why}`, ...(loc ? { location: loc } : {}) });
}

/** Where an event's type string is written: `x-event-type`, else `name`, else the message. */
function typeLoc(ctx: ModelContext, e: EventType, eventAt: Map<EventType, At>): SourceLocation | undefined {
  const at = eventAt.get(e);
  if (!at) return e.loc;
  for (const key of ['x-event-type', 'name']) {
    if (ctx.read(ctx.child(at, key)) !== undefined) return ctx.loc(ctx.child(at, key));
  }
  return e.loc;
}

export function nameEverything(ctx: ModelContext, catalog: Catalog, eventAt: Map<EventType, At>): void {
  const identifiers = new Namespace(ctx);
  const eventFiles = new Namespace(ctx, true);

  for (const e of catalog.events) {
    const loc = typeLoc(ctx, e, eventAt);
    const t = typeName(e.type, 'Event');
    const m = memberName(e.type, 'on');
    if (!t.name || !m.name) {
      invalid(ctx, 'event type', e.type, loc);
      continue;
    }
    adjusted(ctx, 'event type', e.type, t.adjusted ?? m.adjusted, loc);
    e.names = {
      typeName: t.name,
      schemaName: `${t.name}Schema`,
      fileName: fileName(e.type),
      memberName: m.name,
      handlerClass: `${t.name}EventHandler`,
      definitionName: `${t.name}Event`,
    };
    const owner = `event "${e.type}"`;
    if (identifiers.claim([t.name, `${t.name}Schema`, `${t.name}Input`, `${t.name}Event`, `${t.name}EventHandler`], owner, loc)) {
      eventFiles.claim([e.names.fileName], owner, loc);
    }
  }

  const schemaFiles = new Namespace(ctx, true);
  for (const s of catalog.schemas) {
    const t = typeName(s.originalName, 'Schema');
    if (!t.name) {
      invalid(ctx, 'schema', s.originalName, s.loc);
      continue;
    }
    let base = t.name;
    const names = (b: string): string[] => [b, `${b}Schema`, `${b}Input`];
    if (names(base).some((n) => identifiers.conflict(n))) {
      ctx.diagnostics.push({
        severity: 'info',
        rule: 'name-adjusted',
        message: `shared schema "${s.originalName}" is named "${base}Data" because "${base}" is an event's name`,
        ...(s.loc ? { location: s.loc } : {}),
      });
      base = `${base}Data`;
    } else adjusted(ctx, 'schema', s.originalName, t.adjusted, s.loc);
    s.typeName = base;
    s.schemaName = `${base}Schema`;
    s.fileName = fileName(base);
    const owner = `schema "${s.id}"`;
    if (identifiers.claim(names(base), owner, s.loc)) schemaFiles.claim([s.fileName], owner, s.loc);
  }

  const topicFiles = new Namespace(ctx, true);
  for (const t of catalog.topics) {
    const n = typeName(t.name, 'Topic');
    const m = memberName(t.name, 'topic');
    if (!n.name || !m.name) {
      invalid(ctx, 'topic', t.name, t.loc);
      continue;
    }
    t.names = {
      typeName: n.name,
      fileName: fileName(t.name),
      memberName: m.name,
      producerClass: `${n.name}Producer`,
      topicHandlerClass: `${n.name}TopicHandler`,
    };
    const owner = `topic "${t.name}"`;
    if (identifiers.claim([`${n.name}Topic`, `${n.name}Producer`, `${n.name}TopicHandler`, `${n.name}EventHandlers`], owner, t.loc)) {
      topicFiles.claim([t.names.fileName], owner, t.loc);
    }
  }

  const groupNames = new Namespace(ctx);
  const groupFiles = new Namespace(ctx, true);
  for (const g of catalog.groups) {
    const n = typeName(g.groupId, 'Group');
    const m = memberName(g.groupId, 'group');
    if (!n.name || !m.name) {
      invalid(ctx, 'consumer group', g.groupId, g.loc);
      continue;
    }
    g.names = { typeName: n.name, fileName: fileName(g.groupId), memberName: m.name };
    const owner = `consumer group "${g.groupId}"`;
    if (groupNames.claim([n.name, m.name], owner, g.loc)) groupFiles.claim([g.names.fileName], owner, g.loc);
  }
}
