import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

/** SASL mechanisms the Kafka transport supports. */
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

const MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];
const REDACTED = '[REDACTED]';

/**
 * A secret (a SASL password) that cannot leak by accident: `String()`, template literals, `JSON.stringify` and
 * `util.inspect`/`console.log` all show `[REDACTED]`; only {@link Secret.reveal} returns the value.
 */
export class Secret {
  readonly #value: string;

  /** @param value the secret text. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret text; call it only where the value is handed to the client library. */
  reveal(): string {
    return this.#value;
  }

  /** `[REDACTED]`. */
  toString(): string {
    return REDACTED;
  }

  /** `[REDACTED]`. */
  toJSON(): string {
    return REDACTED;
  }

  /** `[REDACTED]` in `util.inspect` and `console.log`. */
  [inspect.custom](): string {
    return REDACTED;
  }
}

/** SASL credentials. */
export interface SaslConfig {
  /** Mechanism. */
  mechanism: SaslMechanism;
  /** User name. */
  username: string;
  /** Password, wrapped so it never prints. */
  password: Secret;
}

/** TLS settings. Certificate verification is always on. */
export interface TlsConfig {
  /** Extra trusted CA certificates (PEM); default: Node's root store. */
  ca?: string[];
}

/** Validated connection settings of the Kafka transport. */
export interface KafkaConfig {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  /** Client id sent to the brokers (shows in broker logs and quotas). */
  clientId: string;
  /** SASL authentication, when used. */
  sasl?: SaslConfig;
  /** TLS, when used (verification on). */
  tls?: TlsConfig;
  /** TCP connect timeout (default 3000 ms). */
  connectionTimeoutMs?: number;
  /** Request timeout (default 30 000 ms). */
  requestTimeoutMs?: number;
}

/** Input of {@link kafkaConfig}: like {@link KafkaConfig} but looser (string lists, plain-text password, CA file). */
export interface KafkaConfigInput {
  /** Bootstrap servers: an array or a comma-separated string. */
  brokers: string | readonly string[];
  /** Client id (default `eventgen`). */
  clientId?: string;
  /** SASL credentials; the password may be a plain string or a {@link Secret}. */
  sasl?: { mechanism: string; username: string; password: string | Secret };
  /** `true` = TLS with Node's root CAs; an object adds CA certificates (PEM text or a file). */
  tls?: boolean | { ca?: string | readonly string[]; caFile?: string };
  /** TCP connect timeout in ms. */
  connectionTimeoutMs?: number;
  /** Request timeout in ms. */
  requestTimeoutMs?: number;
}

/** An invalid Kafka configuration. Messages name the setting, never a secret value. */
export class KafkaConfigError extends Error {
  override name = 'KafkaConfigError';
}

/** Validates configuration given in code. */
export function kafkaConfig(input: KafkaConfigInput): KafkaConfig {
  const brokers = (typeof input.brokers === 'string' ? input.brokers.split(',') : [...input.brokers]).map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0) throw new KafkaConfigError('Kafka brokers are required (KAFKA_BROKERS=host:port[,host:port])');
  for (const broker of brokers) {
    if (!/^[^\s:/@]+:\d{1,5}$/.test(broker) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(broker)) {
      throw new KafkaConfigError(`Invalid broker address '${broker}': expected host:port`);
    }
  }
  const config: KafkaConfig = { brokers, clientId: input.clientId?.trim() || 'eventgen' };
  if (input.sasl !== undefined) {
    const mechanism = input.sasl.mechanism.trim().toLowerCase();
    if (!isMechanism(mechanism)) throw new KafkaConfigError(`Unsupported SASL mechanism '${input.sasl.mechanism}': use one of ${MECHANISMS.join(', ')}`);
    if (input.sasl.username === '') throw new KafkaConfigError('SASL username is required when a SASL mechanism is set (KAFKA_SASL_USERNAME)');
    const password = input.sasl.password instanceof Secret ? input.sasl.password : new Secret(input.sasl.password);
    if (password.reveal() === '') throw new KafkaConfigError('SASL password is required when a SASL mechanism is set (KAFKA_SASL_PASSWORD)');
    config.sasl = { mechanism, username: input.sasl.username, password };
  }
  if (input.tls !== undefined && input.tls !== false) {
    const tls: TlsConfig = {};
    if (input.tls !== true) {
      const ca = input.tls.ca === undefined ? [] : typeof input.tls.ca === 'string' ? [input.tls.ca] : [...input.tls.ca];
      if (input.tls.caFile !== undefined) ca.push(readCaFile(input.tls.caFile));
      if (ca.length > 0) tls.ca = ca;
    }
    config.tls = tls;
  }
  if (input.connectionTimeoutMs !== undefined) config.connectionTimeoutMs = positive(input.connectionTimeoutMs, 'connectionTimeoutMs');
  if (input.requestTimeoutMs !== undefined) config.requestTimeoutMs = positive(input.requestTimeoutMs, 'requestTimeoutMs');
  return config;
}

/** Environment variables read by {@link kafkaConfigFromEnv}. */
export const KAFKA_ENV = {
  brokers: 'KAFKA_BROKERS',
  clientId: 'KAFKA_CLIENT_ID',
  saslMechanism: 'KAFKA_SASL_MECHANISM',
  saslUsername: 'KAFKA_SASL_USERNAME',
  saslPassword: 'KAFKA_SASL_PASSWORD',
  ssl: 'KAFKA_SSL',
  sslCaFile: 'KAFKA_SSL_CA_FILE',
  connectionTimeoutMs: 'KAFKA_CONNECTION_TIMEOUT_MS',
  requestTimeoutMs: 'KAFKA_REQUEST_TIMEOUT_MS',
} as const;

/**
 * Configuration from the environment: `KAFKA_BROKERS` (required unless given in `overrides`), `KAFKA_CLIENT_ID`,
 * `KAFKA_SASL_MECHANISM` (plain | scram-sha-256 | scram-sha-512) with `KAFKA_SASL_USERNAME`/`KAFKA_SASL_PASSWORD`,
 * `KAFKA_SSL=true` (certificate verification on) with an optional `KAFKA_SSL_CA_FILE`, and
 * `KAFKA_CONNECTION_TIMEOUT_MS`/`KAFKA_REQUEST_TIMEOUT_MS`. Values in `overrides` win.
 */
export function kafkaConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, overrides: Partial<KafkaConfigInput> = {}): KafkaConfig {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const input: KafkaConfigInput = { brokers: overrides.brokers ?? get(KAFKA_ENV.brokers) ?? '' };
  const clientId = overrides.clientId ?? get(KAFKA_ENV.clientId);
  if (clientId !== undefined) input.clientId = clientId;
  const mechanism = get(KAFKA_ENV.saslMechanism);
  if (overrides.sasl !== undefined) input.sasl = overrides.sasl;
  else if (mechanism !== undefined) {
    input.sasl = { mechanism, username: get(KAFKA_ENV.saslUsername) ?? '', password: new Secret(env[KAFKA_ENV.saslPassword] ?? '') };
  } else if (get(KAFKA_ENV.saslUsername) !== undefined || get(KAFKA_ENV.saslPassword) !== undefined) {
    throw new KafkaConfigError(`${KAFKA_ENV.saslUsername}/${KAFKA_ENV.saslPassword} are set but ${KAFKA_ENV.saslMechanism} is not (plain, scram-sha-256 or scram-sha-512)`);
  }
  if (overrides.tls !== undefined) input.tls = overrides.tls;
  else {
    const ssl = get(KAFKA_ENV.ssl)?.toLowerCase();
    const caFile = get(KAFKA_ENV.sslCaFile);
    if (ssl !== undefined && !['true', 'false', '1', '0', 'yes', 'no'].includes(ssl)) throw new KafkaConfigError(`${KAFKA_ENV.ssl} must be true or false, got '${ssl}'`);
    const on = ssl === 'true' || ssl === '1' || ssl === 'yes';
    if (caFile !== undefined && !on) throw new KafkaConfigError(`${KAFKA_ENV.sslCaFile} is set but ${KAFKA_ENV.ssl} is not true`);
    if (on) input.tls = caFile === undefined ? true : { caFile };
  }
  const connect = overrides.connectionTimeoutMs ?? numberFrom(get(KAFKA_ENV.connectionTimeoutMs), KAFKA_ENV.connectionTimeoutMs);
  if (connect !== undefined) input.connectionTimeoutMs = connect;
  const request = overrides.requestTimeoutMs ?? numberFrom(get(KAFKA_ENV.requestTimeoutMs), KAFKA_ENV.requestTimeoutMs);
  if (request !== undefined) input.requestTimeoutMs = request;
  return kafkaConfig(input);
}

/** A loggable summary: brokers, client id, SASL mechanism and user, TLS on/off and CA count; never the password. */
export function describeKafkaConfig(config: KafkaConfig): Record<string, unknown> {
  return {
    brokers: config.brokers,
    clientId: config.clientId,
    authentication: config.sasl === undefined ? 'none' : { mechanism: config.sasl.mechanism, username: config.sasl.username },
    tls: config.tls === undefined ? false : { verify: true, extraCAs: config.tls.ca?.length ?? 0 },
  };
}

function isMechanism(value: string): value is SaslMechanism {
  return (MECHANISMS as readonly string[]).includes(value);
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new KafkaConfigError(`Cannot read the CA file ${file} (${code})`);
  }
}

function numberFrom(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new KafkaConfigError(`${name} must be a positive number, got '${value}'`);
  return n;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new KafkaConfigError(`${name} must be a positive number`);
  return value;
}
