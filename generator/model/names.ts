/**
 * Decides the base names of a catalog's events, schemas, topics and groups (with the rules in `naming.ts`) and
 * reports collisions between names of the same kind as located errors. Namespace-style names (Java class names as
 * Springwolf exports them) are shortened to their shortest unique suffix. Shared schemas that collide with an
 * event's name get a `Data` suffix (deterministic, reported as info). The symbol table (`generator/symbols/`)
 * turns these bases into the exported names of the tree and resolves collisions with the runtime's and the
 * generated code's own names.
 */
import type { At, ModelContext } from './context.js';
import { fileName, memberName, shortestUniqueSuffixes, typeName } from './naming.js';
import type { Catalog, EventType, SourceLocation } from './types.js';

const where = (loc?: SourceLocation): string => (loc ? `${loc.file}:${loc.line}:${loc.column}` : 'elsewhere');

/** A location looked up only when a diagnostic needs it (every event's would cost a position lookup per build). */
type LazyLoc = () => SourceLocation | undefined;
const known = (loc: SourceLocation | undefined): LazyLoc => () => loc;
function once(find: LazyLoc): LazyLoc {
  let found: { loc: SourceLocation | undefined } | undefined;
  return () => (found ??= { loc: find() }).loc;
}
const located = (loc: LazyLoc): { location?: SourceLocation } => {
  const l = loc();
  return l ? { location: l } : {};
};

class Namespace {
  private readonly taken = new Map<string, { owner: string; loc: LazyLoc }>();

  constructor(private readonly ctx: ModelContext, private readonly caseInsensitive = false) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  conflict(name: string): { owner: string; loc: LazyLoc } | undefined {
    return this.taken.get(this.key(name));
  }

  /** Claim names for `owner`; on a clash, report a located error and return false. */
  claim(names: string[], owner: string, loc: LazyLoc): boolean {
    for (const n of names) {
      const prev = this.conflict(n);
      if (prev && prev.owner !== owner) {
        this.ctx.diagnostics.push({
          severity: 'error',
          rule: 'name-collision',
          message: `${owner} and ${prev.owner} (${where(prev.loc())}) both become "${n}" in generated code; rename one of them`,
          ...located(loc),
        });
        return false;
      }
    }
    for (const n of names) this.taken.set(this.key(n), { owner, loc });
    return true;
  }
}

function invalid(ctx: ModelContext, what: string, raw: string, loc: LazyLoc): void {
  ctx.diagnostics.push({
    severity: 'error',
    rule: 'name-invalid',
    message: `cannot derive a TypeScript name from ${what} ${JSON.stringify(raw)}: it needs at least one letter or digit`,
    ...located(loc),
  });
}

function adjusted(ctx: ModelContext, what: string, raw: string, why: string | undefined, loc: LazyLoc): void {
  if (!why) return;
  ctx.diagnostics.push({ severity: 'info', rule: 'name-adjusted', message: `${what} ${JSON.stringify(raw)} ${why}`, ...located(loc) });
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

function shortened(ctx: ModelContext, what: string, raw: string, short: string, loc: LazyLoc): void {
  if (short === raw) return;
  ctx.diagnostics.push({ severity: 'info', rule: 'name-adjusted', message: `${what} ${JSON.stringify(raw)} is named after ${JSON.stringify(short)}, its shortest unique suffix`, ...located(loc) });
}

export function nameEverything(ctx: ModelContext, catalog: Catalog, eventAt: Map<EventType, At>): void {
  const eventNames = new Namespace(ctx);
  const eventFiles = new Namespace(ctx, true);
  const eventShort = shortestUniqueSuffixes(catalog.events.map((e) => e.type));

  for (const e of catalog.events) {
    const loc = once(() => typeLoc(ctx, e, eventAt));
    const short = eventShort.get(e.type) ?? e.type;
    const t = typeName(short, 'Event');
    const m = memberName(short, 'on');
    if (!t.name || !m.name) {
      invalid(ctx, 'event type', e.type, loc);
      continue;
    }
    shortened(ctx, 'event type', e.type, short, loc);
    adjusted(ctx, 'event type', e.type, t.adjusted ?? m.adjusted, loc);
    e.names = {
      typeName: t.name,
      schemaName: `${t.name}Schema`,
      fileName: fileName(short),
      memberName: m.name,
      handlerClass: `${t.name}EventHandler`,
      definitionName: `${t.name}Event`,
    };
    const owner = `event "${e.type}"`;
    if (eventNames.claim([t.name, m.name], owner, loc)) eventFiles.claim([e.names.fileName], owner, loc);
  }

  const schemaNames = new Namespace(ctx);
  const schemaFiles = new Namespace(ctx, true);
  const schemaShort = shortestUniqueSuffixes(catalog.schemas.map((s) => s.originalName));
  for (const s of catalog.schemas) {
    const short = schemaShort.get(s.originalName) ?? s.originalName;
    const t = typeName(short, 'Schema');
    if (!t.name) {
      invalid(ctx, 'schema', s.originalName, known(s.loc));
      continue;
    }
    shortened(ctx, 'schema', s.originalName, short, known(s.loc));
    let base = t.name;
    if (eventNames.conflict(base)) {
      ctx.diagnostics.push({
        severity: 'info',
        rule: 'name-adjusted',
        message: `shared schema "${s.originalName}" is named "${base}Data" because "${base}" is an event's name`,
        ...(s.loc ? { location: s.loc } : {}),
      });
      base = `${base}Data`;
    } else adjusted(ctx, 'schema', s.originalName, t.adjusted, known(s.loc));
    s.typeName = base;
    s.schemaName = `${base}Schema`;
    s.fileName = fileName(base);
    const owner = `schema "${s.id}"`;
    if (schemaNames.claim([base], owner, known(s.loc))) schemaFiles.claim([s.fileName], owner, known(s.loc));
  }

  const topicNames = new Namespace(ctx);
  const topicFiles = new Namespace(ctx, true);
  for (const t of catalog.topics) {
    const n = typeName(t.name, 'Topic');
    const m = memberName(t.name, 'topic');
    if (!n.name || !m.name) {
      invalid(ctx, 'topic', t.name, known(t.loc));
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
    if (topicNames.claim([n.name, m.name], owner, known(t.loc))) topicFiles.claim([t.names.fileName], owner, known(t.loc));
  }

  const groupNames = new Namespace(ctx);
  const groupFiles = new Namespace(ctx, true);
  for (const g of catalog.groups) {
    const n = typeName(g.groupId, 'Group');
    const m = memberName(g.groupId, 'group');
    if (!n.name || !m.name) {
      invalid(ctx, 'consumer group', g.groupId, known(g.loc));
      continue;
    }
    g.names = { typeName: n.name, fileName: fileName(g.groupId), memberName: m.name };
    const owner = `consumer group "${g.groupId}"`;
    if (groupNames.claim([n.name, m.name], owner, known(g.loc))) groupFiles.claim([g.names.fileName], owner, known(g.loc));
  }
}
