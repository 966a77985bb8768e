/**
 * `npm run example:gateway` as a user runs it: a process serving the shop catalog's gateway on PORT with the
 * example's payment and notification services; the README's curl calls, made with fetch: publish order.json, follow
 * its status until both running groups processed it, a bad body is a located 422, SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './support/tree.js';

const kill: Array<() => void> = [];
afterEach(() => {
  for (const k of kill.splice(0)) k();
});

describe('example: npm run example:gateway', () => {
  it('publishes order.json, reports PROCESSED for the running groups, refuses a bad body with pointers, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'examples/shop-services/run.mjs'), 'gateway'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', KAFKA_BROKERS: '', REDIS_URL: '', LOG_LEVEL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    kill.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening: ${out}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    const order = readFileSync(path.join(ROOT, 'examples/shop-services/order.json'), 'utf8');
    const res = await fetch(`${base}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'demo-1' }, body: order });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { eventId: string; status: string };
    expect(accepted.status).toBe('PENDING');
    expect(res.headers.get('location')).toBe(`/events/${accepted.eventId}`);
    type Status = { status: string; correlationId: string; groups: Record<string, { status: string }> };
    let status: Status | undefined;
    for (let i = 0; i < 200; i++) {
      status = (await (await fetch(`${base}/events/${accepted.eventId}`)).json()) as Status;
      if (status.groups['payment-service']?.status === 'PROCESSED' && status.groups['notification-service']?.status === 'PROCESSED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.groups['payment-service']?.status).toBe('PROCESSED');
    expect(status?.groups['notification-service']?.status).toBe('PROCESSED');
    expect(status?.groups['inventory-service']?.status).toBe('PENDING'); // not run by the example
    expect(status?.correlationId).toBe('demo-1');
    const bad = await fetch(`${base}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":1}' });
    expect(bad.status).toBe(422);
    const problem = (await bad.json()) as { errors: Array<{ pointer: string }> };
    expect(problem.errors.map((e) => e.pointer)).toContain('/orderId');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
