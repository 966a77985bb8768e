/** Real `ws` clients for the live-server tests: collect frames, wait for conditions. */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  channel?: string;
  code?: string;
  id?: string;
  count?: number;
  event?: { metadata: { eventId: string; eventType: string; userId?: string; timestamp?: string }; data: Record<string, unknown> };
}

export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => undefined);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  events(channel?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && (channel === undefined || f.channel === channel));
  }
  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
  async until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  async subscribe(channel: string): Promise<Frame> {
    const id = `s${Math.random().toString(36).slice(2)}`;
    this.send({ op: 'subscribe', channel, id });
    await this.until(() => this.frames.some((f) => f.id === id), 5000, `answer to subscribe ${channel}`);
    return this.frames.find((f) => f.id === id) as Frame;
  }
  async unsubscribe(channel: string): Promise<Frame> {
    const id = `u${Math.random().toString(36).slice(2)}`;
    this.send({ op: 'unsubscribe', channel, id });
    await this.until(() => this.frames.some((f) => f.id === id), 5000, `answer to unsubscribe ${channel}`);
    return this.frames.find((f) => f.id === id) as Frame;
  }
  close(): void {
    this.ws.terminate();
  }
}

/** Opens a client; resolves once open, rejects with the HTTP status when the upgrade is refused. */
export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const client = new TestClient(ws);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
    });
    ws.once('error', reject);
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
