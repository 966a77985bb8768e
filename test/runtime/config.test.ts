import { inspect } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EventProducer,
  KafkaConfigError,
  KafkaTransport,
  Secret,
  createLogger,
  describeKafkaConfig,
  kafkaConfig,
  kafkaConfigFromEnv,
  toKafkaJsConfig,
} from '../../templates/runtime/index.js';

const PASSWORD = 'hunter2-S3CRET-value';

describe('kafkaConfigFromEnv', () => {
  it('reads brokers, client id, SASL and TLS from the environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eventgen-ca-'));
    writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n');
    const config = kafkaConfigFromEnv({
      KAFKA_BROKERS: 'b1:9092, b2:9093',
      KAFKA_CLIENT_ID: 'orders',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: PASSWORD,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: path.join(dir, 'ca.pem'),
    });
    expect(config.brokers).toEqual(['b1:9092', 'b2:9093']);
    expect(config.clientId).toBe('orders');
    expect(config.sasl?.mechanism).toBe('scram-sha-512');
    expect(config.sasl?.password.reveal()).toBe(PASSWORD);
    expect(config.tls?.ca?.[0]).toContain('BEGIN CERTIFICATE');
    const kafkajs = toKafkaJsConfig(config);
    expect(kafkajs.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(kafkajs.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: PASSWORD });
  });

  it('defaults: client id eventgen, no SASL, no TLS; plain and scram-sha-256 accepted', () => {
    expect(kafkaConfigFromEnv({ KAFKA_BROKERS: '127.0.0.1:9092' })).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'eventgen' });
    for (const m of ['plain', 'scram-sha-256']) {
      expect(kafkaConfigFromEnv({ KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: m, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).sasl?.mechanism).toBe(m);
    }
    expect(kafkaConfigFromEnv({ KAFKA_BROKERS: 'k:1', KAFKA_SSL: 'true' }).tls).toEqual({});
    expect(toKafkaJsConfig(kafkaConfigFromEnv({ KAFKA_BROKERS: 'k:1', KAFKA_SSL: 'true' })).ssl).toEqual({ rejectUnauthorized: true });
    expect(kafkaConfigFromEnv({}, { brokers: ['x:1'] }).brokers).toEqual(['x:1']);
  });

  it('refuses bad settings with messages that name the setting', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /KAFKA_BROKERS/],
      [{ KAFKA_BROKERS: 'no-port' }, /host:port/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD }, /Unsupported SASL mechanism 'gssapi'/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD }, /KAFKA_SASL_USERNAME/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD }, /KAFKA_SASL_MECHANISM is not/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SSL: 'maybe' }, /KAFKA_SSL must be true or false/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SSL_CA_FILE: '/x.pem' }, /KAFKA_SSL is not true/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, /Cannot read the CA file/],
      [{ KAFKA_BROKERS: 'k:1', KAFKA_REQUEST_TIMEOUT_MS: 'soon' }, /KAFKA_REQUEST_TIMEOUT_MS/],
    ];
    for (const [env, message] of bad) {
      let error: unknown;
      try {
        kafkaConfigFromEnv(env);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(KafkaConfigError);
      expect(String(error)).toMatch(message);
      expect(`${String(error)} ${(error as Error).stack}`).not.toContain(PASSWORD);
    }
  });
});

describe('secrets never appear in output', () => {
  const config = kafkaConfig({ brokers: '127.0.0.1:1', clientId: 'c', sasl: { mechanism: 'plain', username: 'svc', password: PASSWORD }, connectionTimeoutMs: 200, requestTimeoutMs: 500 });

  it('Secret and the config print as [REDACTED] in String, JSON, inspect and the logger', () => {
    const secret = new Secret(PASSWORD);
    expect(`${secret}`).toBe('[REDACTED]');
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.sasl?.password), JSON.stringify(describeKafkaConfig(config))]) expect(text).not.toContain(PASSWORD);
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    logger.info('config', { config, sasl: toKafkaJsConfig(config).sasl, describe: describeKafkaConfig(config) });
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(describeKafkaConfig(config)).toEqual({ brokers: ['127.0.0.1:1'], clientId: 'c', authentication: { mechanism: 'plain', username: 'svc' }, tls: false });
  });

  it('a failing connection logs and throws without the password', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const transport = new KafkaTransport({ config, logger, producer: { retries: 1, maxRetryTimeMs: 100 } });
    const producer = new EventProducer({ transport, source: 'test', logger });
    const error = await producer.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(lines.length).toBeGreaterThan(0);
    const everything = `${lines.join('\n')}\n${String(error)}\n${(error as Error).stack}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(producer.health())}`;
    expect(everything).not.toContain(PASSWORD);
  });
});
