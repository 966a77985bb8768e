/**
 * One HTTP server of the gateway benchmark (test/bench/gateway.ts), in its own process so that its CPU and memory are
 * its own: `tsx test/bench/gateway-server.ts <mode> <topic> [brokers] [maxInFlight]`, listening on 127.0.0.1 port 0
 * (`{"port":N}` on stdout once ready), publishing `POST /events/order.created` to `<topic>` on the real broker.
 * Modes:
 * - `gateway`: `createGateway` (templates/gateway) with `EventProducer` over `KafkaTransport`, its own `node:http` server;
 * - `fastify`: the same gateway's `handle` mounted in fastify 5 (body parsing left to the gateway: framework overhead only);
 * - `baseline`: what a team writes by hand: `node:http`, bounded body read, `JSON.parse`, kafkajs `send` per request.
 * Exits cleanly on SIGTERM (server closed, producer disconnected) after printing `{"closed":true,...}`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { OrderCreatedEvent } from '../../generated/events.js';
import { createGateway, type GatewayRoute } from '../../templates/gateway/gateway.js';
import { EventProducer, InMemoryStatusStore, KafkaTransport, kafkaConfig, silentLogger } from '../../templates/runtime/index.js';

type Mode = 'gateway' | 'fastify' | 'baseline';
const [mode, topic, brokersArg, maxInFlightArg] = process.argv.slice(2) as [Mode, string, string | undefined, string | undefined];
const brokers = brokersArg || process.env.KAFKA_BROKERS?.trim() || `127.0.0.1:${process.env.KAFKA_LOCAL_PORT ?? '19092'}`;
if (!['gateway', 'fastify', 'baseline'].includes(mode) || !topic) {
  process.stderr.write('usage: gateway-server.ts gateway|fastify|baseline <topic> [brokers] [maxInFlight]\n');
  process.exit(2);
}
const MAX_BODY = 1_048_576;

/** Starts the server of `mode`; returns its port and how to stop it. */
async function start(): Promise<{ port: number; stop: () => Promise<void> }> {
  if (mode === 'baseline') return baseline();
  const producer = new EventProducer({
    transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench-gateway' }), logger: silentLogger, producer: { compression: 'none' } }),
    source: 'bench',
    logger: silentLogger,
  });
  const routes: GatewayRoute[] = [{ eventType: 'order.created', topic, definition: OrderCreatedEvent, groups: [], keyOverride: false, priority: 'normal' }];
  const gateway = createGateway({
    producer,
    routes,
    statusStore: new InMemoryStatusStore(),
    logger: silentLogger,
    ...(maxInFlightArg !== undefined ? { maxInFlight: Number(maxInFlightArg) } : {}),
  });
  if (mode === 'gateway') {
    const address = await gateway.listen(0, '127.0.0.1');
    return { port: address.port, stop: () => gateway.close() };
  }
  // fastify 5: no body parsing of its own (a catch-all parser that leaves the stream unread), the reply hijacked and
  // handed to the gateway's `handle` as the raw node:http pair.
  await producer.connect();
  const { default: Fastify } = await import('fastify'); // loaded in this mode only
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.all('/*', (request, reply) => {
    reply.hijack();
    gateway.handle(request.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    port,
    stop: async () => {
      await app.close();
      await gateway.close(); // its own server never listened: this flushes and disconnects the producer
    },
  };
}

/** The hand-written minimal publish endpoint: node:http + kafkajs, the raw producer settings of kafka.ts. */
async function baseline(): Promise<{ port: number; stop: () => Promise<void> }> {
  const producer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/events/order.created') {
      answer(res, 404, { error: 'not found' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        if (!refused) {
          res.setHeader('connection', 'close');
          answer(res, 413, { error: 'body too large' });
        }
        refused = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      let data: { orderId?: unknown };
      try {
        data = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as { orderId?: unknown };
      } catch {
        answer(res, 400, { error: 'invalid JSON' });
        return;
      }
      const eventId = randomUUID();
      const metadata = { eventId, eventType: 'order.created', eventVersion: '1.0.0', timestamp: new Date().toISOString(), source: 'bench' };
      producer
        .send({ topic, acks: -1, compression: CompressionTypes.None, messages: [{ key: String(data?.orderId ?? ''), value: JSON.stringify({ metadata, data }) }] })
        .then(
          () => answer(res, 202, { eventId }),
          () => answer(res, 503, { error: 'kafka unavailable' }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
      await closed;
      await producer.disconnect();
    },
  };
}

const running = await start();
process.stdout.write(`${JSON.stringify({ port: running.port, pid: process.pid, mode })}\n`);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  const cpu = process.cpuUsage();
  running.stop().then(
    () => {
      process.stdout.write(`${JSON.stringify({ closed: true, rssBytes: process.memoryUsage().rss, cpuUs: cpu.user + cpu.system })}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`gateway-server: close failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
