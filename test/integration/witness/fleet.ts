/** Several witness consumer processes of one group, by slot: started, replaced after a kill, stopped at the end. */
import { ConsumerProcess } from './driver.js';
import type { ConsumerConfig } from './service/events.js';

export class Fleet {
  /** The current process of each slot. */
  readonly slots: ConsumerProcess[] = [];
  /** Every process ever started (for clean-up and per-pid analysis). */
  readonly all: ConsumerProcess[] = [];

  constructor(
    readonly name: string,
    private readonly config: (slot: number) => ConsumerConfig,
  ) {}

  /** Starts `n` processes and waits until each is ready. */
  async start(n: number, readyTimeoutMs = 60_000): Promise<void> {
    for (let i = 0; i < n; i++) await this.spawn(i);
    await Promise.all(this.slots.map((p) => p.ready(readyTimeoutMs)));
  }

  /** Starts a new process in `slot` (the previous one must have exited); does not wait for ready. */
  async spawn(slot: number): Promise<ConsumerProcess> {
    const p = await ConsumerProcess.start(`${this.name}#${slot}`, this.config(slot));
    this.slots[slot] = p;
    this.all.push(p);
    return p;
  }

  /** SIGTERM to every live process at once; SIGKILL after `timeoutMs`. */
  async stopAll(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.all.filter((p) => p.alive).map((p) => p.stop('SIGTERM', timeoutMs)));
  }

  /** SIGKILL to every live process (clean-up after a failed test). */
  killAll(): void {
    for (const p of this.all) if (p.alive) p.kill('SIGKILL');
  }

  /** The runtime's errors (JSON log lines at level error) written by any process; kafkajs' own protocol lines excluded (it logs every rebalance answer as an error). */
  errorLines(): string[] {
    return this.all.flatMap((p) => p.stderr.split('\n').filter((l) => l.includes('"level":"error"') && !l.includes('"logger":"kafkajs"')));
  }
}
