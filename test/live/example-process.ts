/** Starts `npm run example:live` as a user runs it (its run.mjs, in memory, PORT=0) and returns its base URL. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../support/tree.js';

export interface ExampleProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<number | null>;
}

export async function startLiveExample(env: Record<string, string> = {}): Promise<ExampleProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples/live-demo/run.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', KAFKA_BROKERS: '', LOG_LEVEL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example:live is not listening after 60 s:\n${out}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`example:live exited ${code}:\n${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+?)\/?"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
  });
  return {
    child,
    base,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}
