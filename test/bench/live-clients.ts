/**
 * Child process of the live fan-out benchmark: opens N WebSocket clients (`ws`) to `url`, subscribes each to the
 * `prices` channel (live mode), counts frames, and samples end-to-end latency (publish → receipt, from the `"t":`
 * field the server stamps with `performance.timeOrigin + performance.now()`) on every 10th client. Frames are not
 * JSON-parsed (the same cheap scan in both modes, so the clients cost the same whatever the server).
 * Messages to the parent: `{ ready }`, `{ ack: minSeq }` every 20 ms, `{ report }`; from it: `{ reset }`, `{ report }`.
 */
import { WebSocket } from 'ws';

const [url = '', countArg = '1000', mode = 'baseline'] = process.argv.slice(2);
const count = Number(countArg);
const T = Buffer.from('"t":');
const SEQ = Buffer.from('"seq":');
const counts = new Float64Array(count);
const lastSeq = new Float64Array(count);
let latencies: number[] = [];
let measuring = false;
const sockets: WebSocket[] = [];

function numberAt(buf: Buffer, marker: Buffer): number {
  const i = buf.indexOf(marker);
  if (i < 0) return NaN;
  let j = i + marker.length;
  let end = j;
  while (end < buf.length && ((buf[end]! >= 48 && buf[end]! <= 57) || buf[end] === 46)) end += 1;
  return Number(buf.toString('latin1', j, end));
}

function open(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets[i] = ws;
    const sample = i % 10 === 0;
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      if (data.length < 200) {
        // control frames (subscribed, ...)
        if (data.includes('"subscribed"')) resolve();
        return;
      }
      const s = numberAt(data, SEQ);
      if (s > lastSeq[i]!) lastSeq[i] = s;
      if (!measuring) return;
      counts[i] = counts[i]! + 1;
      if (sample) latencies.push(performance.timeOrigin + performance.now() - numberAt(data, T));
    });
    ws.on('open', () => {
      if (mode === 'live') ws.send(JSON.stringify({ op: 'subscribe', channel: 'prices' }));
      else resolve();
    });
  });
}

async function main(): Promise<void> {
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => open(i + k)));
  process.send?.({ ready: true });
  setInterval(() => {
    let min = Infinity;
    for (let i = 0; i < count; i += 1) if (lastSeq[i]! < min) min = lastSeq[i]!;
    process.send?.({ ack: min });
  }, 20).unref();
  process.on('message', (m: { reset?: boolean; report?: boolean; close?: boolean }) => {
    if (m.reset) {
      counts.fill(0);
      latencies = [];
      measuring = true;
    }
    if (m.report) {
      measuring = false;
      let frames = 0;
      for (const c of counts) frames += c;
      const sorted = latencies.sort((a, b) => a - b);
      const q = (p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
      let minFrames = Infinity;
      for (const c of counts) if (c < minFrames) minFrames = c;
      process.send?.({ report: { frames, minFrames, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? NaN, samples: sorted.length } });
    }
    if (m.close) {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
