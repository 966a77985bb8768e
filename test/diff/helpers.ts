/** In-memory diff sides from YAML strings (no disk, no @asyncapi/parser): fast rule tests. */
import path from 'node:path';
import { parseSource, type LoadedCatalog, type SourceFile } from '../../generator/load/index.js';
import { buildCatalog } from '../../generator/model/build.js';
import { diffCatalogs, type Change, type DiffSide } from '../../generator/diff/index.js';

const CWD = path.resolve('/virtual');

/** Build one side from YAML; throws with the diagnostics when the catalog is invalid. */
export function side(text: string, file: string): DiffSide {
  const abs = path.join(CWD, file);
  const { file: src, diagnostics } = parseSource(text, abs, CWD);
  if (!src) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const loaded: LoadedCatalog = { main: src, files: new Map([[abs, src]]), diagnostics: [], parserMs: 0 };
  const built = buildCatalog(loaded, { sourcePath: src.displayPath });
  const errors = built.diagnostics.filter((d) => d.severity === 'error');
  if (!built.catalog || errors.length) throw new Error(errors.map((d) => `${d.location?.line}:${d.location?.column} ${d.rule} ${d.message}`).join('\n'));
  return { catalog: built.catalog, files: new Map<string, SourceFile>([[src.displayPath, src]]), mainFile: src.displayPath };
}

export function diffYaml(base: string, head: string): Change[] {
  return diffCatalogs(side(base, 'base.yaml'), side(head, 'head.yaml')).changes;
}

/** Replace exactly one occurrence (fails loudly so a test never silently diffs identical catalogs). */
export function edit(text: string, from: string, to: string): string {
  const i = text.indexOf(from);
  if (i < 0 || text.indexOf(from, i + 1) >= 0) throw new Error(`edit: "${from}" must occur exactly once`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

/** The line (1-based) of the first line containing `needle` after an optional `after` marker. */
export function lineOf(text: string, needle: string, after?: string): number {
  const start = after ? text.indexOf(after) : 0;
  const i = text.indexOf(needle, start < 0 ? 0 : start);
  if (i < 0) throw new Error(`lineOf: "${needle}" not found`);
  return text.slice(0, i).split('\n').length;
}

export const where = (c: Change): string => `${c.base ? `${c.base.file}:${c.base.line}` : '-'} ${c.head ? `${c.head.file}:${c.head.line}` : '-'}`;

/** A small catalog: one topic, two keyed events, one group; payloads are indented 8 spaces. */
export function catalog(opts: { payload?: string; cancelled?: string; channel?: string; message?: string; components?: string } = {}): string {
  const payload =
    opts.payload ??
    `        type: object
        required: [orderId, total]
        properties:
          orderId:
            type: string
          total:
            type: number
          note:
            type: string`;
  return `asyncapi: 3.0.0
info:
  title: Shop
  version: 1.0.0
channels:
  orders:
    address: shop.orders.v1
    bindings:
      kafka:
        partitions: 6
        replicas: 3
        topicConfiguration:
          cleanup.policy: [delete]
          retention.ms: 604800000
${opts.channel ?? ''}    messages:
      orderCreated:
        $ref: '#/components/messages/orderCreated'
      orderCancelled:
        $ref: '#/components/messages/orderCancelled'
operations:
  publishOrders:
    action: send
    channel:
      $ref: '#/channels/orders'
  billing:
    action: receive
    channel:
      $ref: '#/channels/orders'
    bindings:
      kafka:
        groupId:
          type: string
          const: billing-service
components:
  messages:
    orderCreated:
      x-event-type: order.created
      x-event-version: 1.0.0
      x-partition-key:
        field: orderId
${opts.message ?? ''}      payload:
${payload}
    orderCancelled:
      x-event-type: order.cancelled
      x-partition-key:
        field: orderId
      payload:
${
  opts.cancelled ??
  `        type: object
        required: [orderId]
        properties:
          orderId:
            type: string
          reason:
            type: string`
}
${opts.components ?? ''}`;
}
