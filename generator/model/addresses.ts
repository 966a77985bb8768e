/**
 * Channel addresses that are not literal Kafka topic names. Kafka allows `[a-zA-Z0-9._-]`; many catalogs written
 * for other brokers or by tools use `/` as a separator (`order/created`, `user/signedup`). The mapping is explicit:
 * `x-eventgen.addressSlash` names the character that replaces `/` (leading and trailing slashes are dropped), and
 * every mapped channel gets a diagnostic naming the topic chosen (info when configured, a warning when `--lenient`
 * chose the default `.`). Without either, such an address is refused with a hint. A Kafka binding `topic` is
 * always taken as written. Addresses with channel parameters are templates (see `parameters.ts`).
 */
import type { At, ModelContext } from './context.js';
import { topicName } from './extensions.js';
import { templateParameters, templateSample } from './parameters.js';

export const ADDRESS_SLASH = ['.', '_', '-'] as const;
export type AddressSlash = (typeof ADDRESS_SLASH)[number];

/** `x-eventgen.addressSlash`: one of `.`, `_`, `-`. */
export function readAddressSlash(ctx: ModelContext, at: At): AddressSlash | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (ADDRESS_SLASH as readonly string[]).includes(raw)) return raw as AddressSlash;
  ctx.report('error', 'extension-invalid', `x-eventgen.addressSlash must be one of ${ADDRESS_SLASH.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(raw)}`, at);
  return undefined;
}

export interface AddressOptions {
  /** The configured replacement for `/`. */
  slash?: AddressSlash;
  /** `--lenient`: map `/` to `.` when nothing is configured. */
  lenient: boolean;
}

/**
 * A literal topic name, or an address template with channel parameters (`orders.{region}`) whose literal parts
 * are legal in a topic name (the parameters are checked with their values, `parameters.ts`).
 */
function literalOrTemplate(ctx: ModelContext, address: string, at: At): string | undefined {
  if (templateParameters(address).length === 0 || /[{}]/.test(address.replace(/\{[^{}]*\}/g, ''))) return topicName(ctx, address, at);
  const sample = templateSample(address);
  if (!KAFKA_TOPIC.test(sample) || sample.length > 249) {
    ctx.report('error', 'topic-name-invalid', `${JSON.stringify(address)} cannot be a Kafka topic name with its parameters filled in: use 1-249 characters from [a-zA-Z0-9._-] around the {parameters}`, at);
    return undefined;
  }
  return address;
}

const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** The Kafka topic for a channel address (or its 2.x key), mapping `/` as configured; undefined after an error. */
export function topicForAddress(ctx: ModelContext, address: string, at: At, options: AddressOptions): string | undefined {
  if (!address.includes('/')) return literalOrTemplate(ctx, address, at);
  const slash = options.slash ?? (options.lenient ? '.' : undefined);
  if (!slash) {
    ctx.report(
      'error',
      'topic-name-invalid',
      `${JSON.stringify(address)} is not a valid Kafka topic name ("/" is not allowed): set x-eventgen.addressSlash to "." (or "_", "-") to map it, set bindings.kafka.topic, or read the catalog with --lenient`,
      at,
    );
    return undefined;
  }
  const mapped = address.replace(/^\/+|\/+$/g, '').replace(/\/+/g, slash);
  if (mapped === '') {
    ctx.report('error', 'topic-name-invalid', `address ${JSON.stringify(address)} names no topic once its slashes are dropped: set bindings.kafka.topic`, at);
    return undefined;
  }
  if (!literalOrTemplate(ctx, mapped, at)) return undefined;
  if (options.slash) ctx.report('info', 'topic-name-mapped', `address ${JSON.stringify(address)} is read as Kafka topic "${mapped}" (x-eventgen.addressSlash "${slash}")`, at);
  else ctx.report('warning', 'topic-name-mapped', `address ${JSON.stringify(address)} is not a Kafka topic name: using topic "${mapped}" ("/" read as "."; set x-eventgen.addressSlash to choose) (--lenient)`, at);
  return mapped;
}
