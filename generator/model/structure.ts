/**
 * AsyncAPI 2.6 and 3.x put channels, operations and messages in different places. This module reads
 * both into one shape (`RawStructure`) so the rest of the model is version-independent.
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';

export interface RawMessage {
  /** Where the (dereferenced) message object lives: its identity. */
  at: At;
  /** Component key, channel message key or 2.6 messageId. */
  key: string;
}

export interface RawChannel {
  id: string;
  at: At;
  address?: string;
  messages: RawMessage[];
  /** 3.x `servers` (names of servers the channel is available on), if restricted. */
  servers?: string[];
}

export interface RawOperation {
  id: string;
  at: At;
  action: 'send' | 'receive';
  channelId: string;
  /** Messages the operation lists; undefined = all the channel's messages. */
  messages?: RawMessage[];
  /** Where the Kafka operation binding is, if any. */
  kafkaBindingAt?: At;
}

export interface RawStructure {
  channels: RawChannel[];
  operations: RawOperation[];
}

function lastSegment(pointer: string): string {
  const seg = pointer.split('/').pop() ?? '';
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolve a message reference, naming it after its component key when it is one. */
function message(ctx: ModelContext, at: At, fallbackKey: string): RawMessage | undefined {
  const resolved = ctx.deref(at);
  if (!resolved) return undefined;
  if (!isRecord(resolved.value)) {
    ctx.report('error', 'asyncapi-schema', 'a message must be an object', at);
    return undefined;
  }
  const isComponent = /\/messages\/[^/]+$/.test(resolved.at.pointer) || resolved.at.pointer === '';
  const key = resolved.at.pointer === '' ? fallbackKey : isComponent ? lastSegment(resolved.at.pointer) : fallbackKey;
  return { at: resolved.at, key };
}

function readV3(ctx: ModelContext, root: Record<string, unknown>): RawStructure {
  const channels: RawChannel[] = [];
  const byPointer = new Map<string, RawChannel>();
  const channelsAt = ctx.child(ctx.main, 'channels');
  for (const id of Object.keys(isRecord(root.channels) ? root.channels : {})) {
    const ref = ctx.child(channelsAt, id);
    const resolved = ctx.deref(ref);
    if (!resolved || !isRecord(resolved.value)) continue;
    const ch = resolved.value;
    const messages: RawMessage[] = [];
    const msgsAt = ctx.child(resolved.at, 'messages');
    for (const key of Object.keys(isRecord(ch.messages) ? ch.messages : {})) {
      const m = message(ctx, ctx.child(msgsAt, key), key);
      if (m) messages.push(m);
    }
    const channel: RawChannel = { id, at: resolved.at, messages };
    if (typeof ch.address === 'string') channel.address = ch.address;
    if (Array.isArray(ch.servers)) {
      channel.servers = ch.servers
        .map((s) => (isRecord(s) && typeof s.$ref === 'string' ? lastSegment(s.$ref) : undefined))
        .filter((s): s is string => !!s);
    }
    channels.push(channel);
    byPointer.set(ctx.idOf(ref), channel);
    byPointer.set(ctx.idOf(resolved.at), channel);
  }

  const operations: RawOperation[] = [];
  const opsAt = ctx.child(ctx.main, 'operations');
  for (const id of Object.keys(isRecord(root.operations) ? root.operations : {})) {
    const resolved = ctx.deref(ctx.child(opsAt, id));
    if (!resolved || !isRecord(resolved.value)) continue;
    const op = resolved.value;
    if (op.action !== 'send' && op.action !== 'receive') continue; // the parser reports it
    const chRef = isRecord(op.channel) && typeof op.channel.$ref === 'string' ? op.channel.$ref : undefined;
    const chAt = chRef ? ctx.refTarget(chRef, ctx.child(resolved.at, 'channel')) : undefined;
    const channel = chAt ? byPointer.get(ctx.idOf(chAt)) : undefined;
    if (!channel) {
      ctx.report('error', 'operation-channel', `operation "${id}" must reference a channel of this catalog`, ctx.child(resolved.at, 'channel'));
      continue;
    }
    const raw: RawOperation = { id, at: resolved.at, action: op.action, channelId: channel.id };
    if (Array.isArray(op.messages) && op.messages.length === 0) {
      // An explicit empty list is an empty subset of the channel's messages (absent means all of them).
      ctx.report('warning', 'nothing-to-generate', `operation "${id}" lists no messages: nothing is generated for it (omit \`messages\` for all the channel's messages)`, ctx.child(resolved.at, 'messages'));
      raw.messages = [];
    } else if (Array.isArray(op.messages)) {
      raw.messages = [];
      op.messages.forEach((_, i) => {
        const m = message(ctx, ctx.child(resolved.at, 'messages', i), `${id}-${i}`);
        if (m) raw.messages?.push(m);
      });
    }
    const bindings = ctx.deref(ctx.child(resolved.at, 'bindings'));
    if (bindings && isRecord(bindings.value) && bindings.value.kafka !== undefined) raw.kafkaBindingAt = ctx.child(bindings.at, 'kafka');
    operations.push(raw);
  }
  return { channels, operations };
}

function readV2(ctx: ModelContext, root: Record<string, unknown>): RawStructure {
  const channels: RawChannel[] = [];
  const operations: RawOperation[] = [];
  const channelsAt = ctx.child(ctx.main, 'channels');
  for (const address of Object.keys(isRecord(root.channels) ? root.channels : {})) {
    const resolved = ctx.deref(ctx.child(channelsAt, address));
    if (!resolved || !isRecord(resolved.value)) continue;
    const ch = resolved.value;
    const channel: RawChannel = { id: address, at: resolved.at, address, messages: [] };
    if (Array.isArray(ch.servers)) channel.servers = ch.servers.filter((s): s is string => typeof s === 'string');
    const seen = new Set<string>();
    // 2.x: `publish` = others publish, this application receives; `subscribe` = this application sends.
    for (const verb of ['subscribe', 'publish'] as const) {
      const opAt = ctx.child(resolved.at, verb);
      const op = ctx.read(opAt);
      if (!isRecord(op)) continue;
      const msgs: RawMessage[] = [];
      const msgAt = ctx.child(opAt, 'message');
      const msg = ctx.deref(msgAt);
      if (msg && isRecord(msg.value) && Array.isArray(msg.value.oneOf)) {
        msg.value.oneOf.forEach((_, i) => {
          const m = message(ctx, ctx.child(msg.at, 'oneOf', i), `${address}-${verb}-${i}`);
          if (m) msgs.push(m);
        });
      } else if (msg) {
        const m = message(ctx, msgAt, `${address}-${verb}`);
        if (m) msgs.push(m);
      }
      for (const m of msgs) {
        const mv = ctx.read(m.at);
        if (isRecord(mv) && typeof mv.messageId === 'string') m.key = mv.messageId;
        const id = ctx.idOf(m.at);
        if (!seen.has(id)) {
          seen.add(id);
          channel.messages.push(m);
        }
      }
      const operation: RawOperation = {
        id: typeof op.operationId === 'string' ? op.operationId : `${address}.${verb}`,
        at: opAt,
        action: verb === 'subscribe' ? 'send' : 'receive',
        channelId: address,
        messages: msgs,
      };
      const bindings = ctx.deref(ctx.child(opAt, 'bindings'));
      if (bindings && isRecord(bindings.value) && bindings.value.kafka !== undefined) operation.kafkaBindingAt = ctx.child(bindings.at, 'kafka');
      operations.push(operation);
    }
    channels.push(channel);
  }
  return { channels, operations };
}

export function readStructure(ctx: ModelContext, root: Record<string, unknown>, major: 2 | 3): RawStructure {
  return major === 3 ? readV3(ctx, root) : readV2(ctx, root);
}
