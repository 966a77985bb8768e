#!/usr/bin/env node
/**
 * Local Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7) for tests and examples, fetched from
 * Maven Central by Maven (no Docker), kept under <repo>/.cache/registry (gitignored) and run with in-memory storage.
 *
 *   node scripts/registry/registry.mjs start    start (or reuse) the registry; waits until it answers; prints REGISTRY_URL=...
 *   node scripts/registry/registry.mjs stop     stop the registry this script started (its pid file), never another process
 *   node scripts/registry/registry.mjs status   exit 0 when ours runs and answers, 3 when not running, 1 when not answering
 *
 * Settings (environment):
 *   REGISTRY_LOCAL_HOST        bind address                     (127.0.0.1; loopback only)
 *   REGISTRY_LOCAL_PORT        HTTP port                        (18081)
 *   REGISTRY_LOCAL_MANAGEMENT_PORT  Quarkus management (health) port, loopback too (port + 1)
 *   REGISTRY_LOCAL_DIR         cache and state dir              (<repo>/.cache/registry)
 *   REGISTRY_LOCAL_HEAP        JVM -Xmx                         (384m)
 *   REGISTRY_START_TIMEOUT_MS  readiness timeout                (120000)
 *   REGISTRY_JAVA_HOME         a Java 21+ home; else JAVA_HOME when that is 21+, else the newest JDK under /usr/lib/jvm
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, fileTail, isOurProcess, portInUse, readPid, stopPid } from '../kafka/lib.mjs';

export const APICURIO_VERSION = '3.3.3';
const ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
const CCOMPAT = '/apis/ccompat/v7';
const log = (line) => process.stderr.write(`[registry] ${line}\n`);

/** Resolved settings of the local registry. */
export function registrySettings(env = process.env) {
  const host = env.REGISTRY_LOCAL_HOST || '127.0.0.1';
  const port = Number(env.REGISTRY_LOCAL_PORT || 18081);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`REGISTRY_LOCAL_PORT is not a port: ${env.REGISTRY_LOCAL_PORT}`);
  const dir = path.resolve(ROOT, env.REGISTRY_LOCAL_DIR || '.cache/registry');
  const appDir = path.join(dir, `apicurio-registry-${APICURIO_VERSION}`);
  const managementPort = Number(env.REGISTRY_LOCAL_MANAGEMENT_PORT || port + 1);
  return {
    host,
    port,
    managementPort,
    dir,
    appDir,
    jar: path.join(appDir, 'quarkus-run.jar'),
    pidFile: path.join(dir, `registry-${port}.pid`),
    logFile: path.join(dir, `registry-${port}.log`),
    heap: env.REGISTRY_LOCAL_HEAP || '384m',
    startTimeoutMs: Number(env.REGISTRY_START_TIMEOUT_MS || 120_000),
    url: `http://${host}:${port}${CCOMPAT}`,
  };
}

/** A `java` of version 21 or newer (Apicurio 3.x is compiled for Java 21). */
export function java21(env = process.env) {
  const candidates = [env.REGISTRY_JAVA_HOME, env.JAVA_HOME].filter(Boolean);
  try {
    const jvm = '/usr/lib/jvm';
    for (const name of readdirSync(jvm).sort().reverse()) candidates.push(path.join(jvm, name));
  } catch {}
  for (const home of candidates) {
    const bin = path.join(home, 'bin', 'java');
    if (existsSync(bin) && javaMajor(bin) >= 21) return bin;
  }
  if (javaMajor('java') >= 21) return 'java';
  throw new Error('Apicurio Registry 3 needs Java 21 or newer: set REGISTRY_JAVA_HOME (or JAVA_HOME) to a JDK 21+ home.');
}

function javaMajor(bin) {
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** Fetches the all-in-one assembly with Maven (cached in Maven's local repository) and unpacks it once. */
export function ensureRegistry(s) {
  if (existsSync(s.jar)) return s.jar;
  mkdirSync(s.dir, { recursive: true });
  log(`Fetching Apicurio Registry ${APICURIO_VERSION} with Maven (first run downloads ~160 MB into Maven's local repository)...`);
  const t0 = Date.now();
  const mvn = spawnSync('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${s.dir}`], { encoding: 'utf8', cwd: s.dir });
  if (mvn.error) throw new Error(`Could not run Maven (mvn): ${mvn.error.message}. Install Maven 3.`);
  if (mvn.status !== 0) throw new Error(`Maven could not fetch ${ARTIFACT} (exit ${mvn.status}):\n${`${mvn.stdout}\n${mvn.stderr}`.split('\n').slice(-30).join('\n')}`);
  const archive = path.join(s.dir, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  const tmp = `${s.appDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tar = spawnSync('tar', ['xzf', archive, '-C', tmp], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`Could not unpack ${archive}: ${tar.stderr}`);
  rmSync(s.appDir, { recursive: true, force: true });
  spawnSync('mv', [tmp, s.appDir]);
  rmSync(archive, { force: true });
  if (!existsSync(s.jar)) throw new Error(`${archive} has no quarkus-run.jar`);
  log(`Unpacked in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${s.appDir}`);
  return s.jar;
}

/** Whether the Confluent-compatible API answers (GET /subjects → 200). */
export async function registryAnswers(url, timeoutMs = 2000) {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function registryStatus(env = process.env) {
  const s = registrySettings(env);
  const pid = readPid(s.pidFile);
  const running = isOurProcess(pid, s.jar);
  const ready = running && (await registryAnswers(s.url));
  return { running, ready, pid: running ? pid : undefined, url: s.url };
}

export async function startRegistry(env = process.env) {
  const t0 = Date.now();
  const s = registrySettings(env);
  const existing = await registryStatus(env);
  if (existing.running) {
    if (!existing.ready && !(await waitReady(s, existing.pid, s.startTimeoutMs))) throw new Error(`The registry started earlier (pid ${existing.pid}) is not answering on ${s.url}.\n${fileTail(s.logFile, 30)}`);
    return { started: false, url: s.url, pid: existing.pid, ms: Date.now() - t0 };
  }
  if (await portInUse(s.host, s.port)) throw new Error(`Port ${s.host}:${s.port} is in use by another process; set REGISTRY_LOCAL_PORT (or REGISTRY_URL to use that registry).`);
  ensureRegistry(s);
  const java = java21(env);
  const out = openSync(s.logFile, 'w');
  const args = [
    `-Xmx${s.heap}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    `-Dquarkus.http.host=${s.host}`,
    `-Dquarkus.http.port=${s.port}`,
    `-Dquarkus.management.host=${s.host}`,
    `-Dquarkus.management.port=${s.managementPort}`,
    '-Dquarkus.http.access-log.enabled=false',
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=h2',
    '-Dapicurio.datasource.url=jdbc:h2:mem:registry',
    '-jar',
    s.jar,
  ];
  const t1 = Date.now();
  const child = spawn(java, args, { detached: true, stdio: ['ignore', out, out], cwd: s.appDir });
  closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', () => resolve(false)));
  child.once('error', () => {});
  child.unref();
  if (child.pid === undefined) throw new Error(`Could not start ${java}`);
  writeFileSync(s.pidFile, `${child.pid}\n`);
  log(`Starting Apicurio Registry ${APICURIO_VERSION} (pid ${child.pid}) on ${s.url}...`);
  const ready = await Promise.race([waitReady(s, child.pid, s.startTimeoutMs), exited]);
  if (!ready) {
    const alive = isOurProcess(child.pid, s.jar);
    if (alive) await stopPid(child.pid, s.jar, 10_000);
    rmSync(s.pidFile, { force: true });
    throw new Error(`The registry on ${s.url} ${alive ? `did not answer within ${s.startTimeoutMs} ms` : 'exited during start-up'}.\n${fileTail(s.logFile, 30)}`);
  }
  return { started: true, url: s.url, pid: child.pid, ms: Date.now() - t0, jvmMs: Date.now() - t1 };
}

async function waitReady(s, pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, s.jar)) return false;
    if (await registryAnswers(s.url, 1000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function stopRegistry(env = process.env) {
  const s = registrySettings(env);
  const pid = readPid(s.pidFile);
  let stopped = false;
  if (isOurProcess(pid, s.jar)) {
    log(`Stopping the registry (pid ${pid}) on ${s.url}...`);
    stopped = await stopPid(pid, s.jar, 20_000);
  } else log(`No registry of ours is running on ${s.url}.`);
  rmSync(s.pidFile, { force: true });
  return { stopped };
}

async function main(command) {
  switch (command) {
    case 'start': {
      const r = await startRegistry();
      log(r.started ? `Registry ready on ${r.url} in ${(r.ms / 1000).toFixed(1)} s (pid ${r.pid})` : `Registry already running on ${r.url} (pid ${r.pid})`);
      process.stdout.write(`REGISTRY_URL=${r.url}\n`);
      return 0;
    }
    case 'stop':
      await stopRegistry();
      return 0;
    case 'status': {
      const s = await registryStatus();
      process.stdout.write(`${s.running ? (s.ready ? 'running' : 'not answering') : 'stopped'} ${s.url}${s.pid ? ` pid ${s.pid}` : ''}\n`);
      return s.running ? (s.ready ? 0 : 1) : 3;
    }
    default:
      process.stderr.write('usage: registry.mjs start | stop | status\n');
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`[registry] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
