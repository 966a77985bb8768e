/**
 * `npm run example:live`: the generated live gateway of this example's catalog (catalog.asyncapi.yaml, generated into
 * src/events with `--with live`) on `PORT` (default 3001): the demo page at `/`, WebSocket at `/ws`, `/health`,
 * `/metrics`. While it runs it keeps publishing public `price.updated` events, confidential `order.placed` /
 * `order.filled` events for users `u1` and `u2`, and restricted `audit.recorded` events (which never reach a browser)
 * through the generated producers; the live gateway consumes them with its own consumer group. In memory by
 * default; on Kafka when KAFKA_BROKERS is set.
 *
 * Authentication: DEMO tokens `demo:<userId>` (as `?token=` or `Authorization: Bearer`), which let anyone claim
 * any user: replace `demoTokens()` with your verifier (docs/live.md) before this goes anywhere near production.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLiveGateway, demoTokens } from './events/live/index.js';
import { createKafkaTransport, createLogger, createProducers, EventProducer, InMemoryTransport, TOPIC_PARTITIONS, type Transport } from './events/index.js';
import topology from './events/topology.json' with { type: 'json' };
import { CONTENT_SECURITY_POLICY, PAGE_CSS, PAGE_HTML, pageScript } from './page.js';

const SYMBOLS: ReadonlyArray<{ symbol: string; price: number }> = [
  { symbol: 'ACME', price: 102.5 },
  { symbol: 'GLOBX', price: 48.2 },
  { symbol: 'INITECH', price: 12.75 },
];
const USERS = ['u1', 'u2'] as const;

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info', fields: { service: 'live-demo' } });
  let transport: Transport;
  if (process.env.KAFKA_BROKERS) {
    const kafka = createKafkaTransport({ logger });
    const admin = kafka.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topology.topics.map((t) => t.name).filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    transport = kafka;
  } else {
    transport = new InMemoryTransport({ partitions: TOPIC_PARTITIONS });
  }

  logger.warn('Demo tokens (demo:<userId>) let anyone claim any user: for this demo only.');
  const live = createLiveGateway({ transport, logger, authenticate: demoTokens(), ...(process.env.LIVE_GROUP_ID ? { groupId: process.env.LIVE_GROUP_ID } : {}) });
  await live.start();

  const script = pageScript({ prices: 'market.prices', orders: 'trading.orders' });
  const http = createServer((req, res) => {
    if (live.server.handleHttp(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    const page: Record<string, [string, string]> = {
      '/': ['text/html; charset=utf-8', PAGE_HTML],
      '/app.js': ['text/javascript; charset=utf-8', script],
      '/app.css': ['text/css; charset=utf-8', PAGE_CSS],
    };
    const hit = req.method === 'GET' ? page[path ?? ''] : undefined;
    if (hit === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': hit[0], 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }).end(hit[1]);
  });
  live.server.attach(http);
  await new Promise<void>((resolve) => http.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1', resolve));
  const address = http.address() as AddressInfo;

  // The demo's event sources: prices every 250 ms, an order event every 400 ms (u1 and u2 in turn), audit every 2 s.
  const eventProducer = new EventProducer({ transport, source: 'trading-demo', logger });
  const producers = createProducers(eventProducer);
  const prices = SYMBOLS.map((s) => ({ ...s }));
  let tick = 0;
  let orders = 0;
  const open = new Map<string, { userId: string; symbol: string; price: number }>();
  const publish = async (): Promise<void> => {
    tick += 1;
    const p = prices[tick % prices.length]!;
    p.price = Math.max(0.01, Math.round((p.price * (1 + (Math.random() - 0.5) / 50)) * 100) / 100);
    await producers.marketPrices.priceUpdated({ symbol: p.symbol, price: p.price, currency: 'EUR' });
    if (tick % 2 === 0) {
      const userId = USERS[orders % USERS.length]!;
      const pending = [...open.entries()].find(([, o]) => o.userId === userId);
      if (pending !== undefined && Math.random() < 0.5) {
        open.delete(pending[0]);
        await producers.tradingOrders.orderFilled({ orderId: pending[0], userId, price: pending[1].price }, { userId });
      } else {
        orders += 1;
        const orderId = `ord-${orders}`;
        open.set(orderId, { userId, symbol: p.symbol, price: p.price });
        await producers.tradingOrders.orderPlaced({ orderId, userId, symbol: p.symbol, side: orders % 3 === 0 ? 'sell' : 'buy', quantity: 1 + (orders % 9), limitPrice: p.price }, { userId });
      }
    }
    if (tick % 16 === 0) await producers.tradingAudit.auditRecorded({ actor: 'risk-engine', action: `checked ${open.size} open orders` });
  };
  const timer = setInterval(() => {
    publish().catch((error: unknown) => logger.error('Demo publisher: a send failed', { error }));
  }, 125);

  logger.info('Live demo listening', { url: `http://${address.address}:${address.port}/`, ws: `ws://${address.address}:${address.port}/ws`, kafka: process.env.KAFKA_BROKERS ? 'kafka' : 'in-memory' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      clearInterval(timer);
      void (async () => {
        await live.close();
        http.close();
        await eventProducer.disconnect();
        logger.info('Live demo stopped', { signal });
        process.exit(0);
      })();
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
