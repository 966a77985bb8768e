/**
 * Child process of the live fan-out benchmark (test/bench/live.ts): one WebSocket server that publishes ~1 KB events
 * to every subscribed client, paced by a window of events in flight (the parent relays the lowest sequence number
 * every client has received). Modes:
 * - `baseline`: the minimal `ws` broadcast (the `ws` README's: one `JSON.stringify` per event, `client.send` to every
 *   open client, no subscriptions, no bounds, no authentication);
 * - `live`: `createLiveServer` (templates/live) with a public channel, anonymous access allowed and its default
 *   per-connection byte bound: subscription lookup, classification check, bounded queue, metrics.
 * Messages from the parent: `{ start: { window, seconds } }`, `{ ack: minSeq }`, `{ stop: true }`, `{ stats: true }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { LiveServer } from '../../templates/live/server.js';

type Mode = 'baseline' | 'live';
const mode = (process.argv[2] ?? 'baseline') as Mode;
const PAD = 'x'.repeat(860); // data + envelope ≈ 1 KB per frame

function envelope(seq: number) {
  return {
    metadata: {
      eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      eventType: 'price.updated',
      eventVersion: 1,
      correlationId: 'bench',
      timestamp: new Date().toISOString(),
      source: 'bench',
      dataClassification: 'public',
      partitionKey: 'prices',
    },
    data: { symbol: 'ACME', price: 100 + (seq % 100) / 100, seq, t: performance.timeOrigin + performance.now(), pad: PAD },
  };
}

const send = (m: unknown): void => void process.send?.(m);
const http = createServer((req, res) => {
  if (mode === 'live' && live?.handleHttp(req, res)) return;
  res.writeHead(404).end();
});
let publish: (seq: number) => void;
let live: LiveServer | undefined;
if (mode === 'baseline') {
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  publish = (seq) => {
    const frame = JSON.stringify({ type: 'event', channel: 'prices', event: envelope(seq) });
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(frame);
  };
} else {
  const { createLiveServer } = await import('../../templates/live/server.js');
  live = createLiveServer({
    events: [{ eventType: 'price.updated', topic: 'market.prices', classification: 'public', channels: ['price.updated', 'market.prices', 'prices'] }],
    channels: [
      { name: 'price.updated', kind: 'event' },
      { name: 'market.prices', kind: 'topic' },
      { name: 'prices', kind: 'pattern' },
    ],
    allowAnonymous: true,
    maxConnections: 5_000,
  });
  live.attach(http);
  const server = live;
  publish = (seq) => void server.publish(envelope(seq));
}

let seq = 0;
let acked = 0;
let window = 64;
let running = false;
let published = 0;
function pump(): void {
  if (!running) return;
  let n = 0;
  while (running && seq - acked < window && n < 16) {
    seq += 1;
    publish(seq);
    published += 1;
    n += 1;
  }
  if (running) setImmediate(pump);
}

process.on('message', (m: { start?: { window: number }; ack?: number; stop?: boolean; stats?: boolean }) => {
  if (m.start) {
    window = m.start.window;
    running = true;
    pump();
  }
  if (typeof m.ack === 'number') acked = Math.max(acked, m.ack);
  if (m.stop) running = false;
  if ((m as { exit?: boolean }).exit) process.exit(0); // writes the --cpu-prof profile, if any
  if (m.stats) {
    const cpu = process.cpuUsage();
    send({ stats: { published, cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss } });
  }
});

http.listen(0, '127.0.0.1', () => send({ ready: { port: (http.address() as AddressInfo).port } }));
