/**
 * A local Apache Kafka (KRaft, combined broker+controller, one node) for tests and examples, run from Maven's
 * local repository: no download other than Maven's, no Docker. Used by `scripts/kafka/kafka.mjs` (the npm
 * scripts kafka:start|stop|status) and by the vitest global set-up. Also a throwaway Redis (redis-server from
 * the machine) for tests that need to stop and start one.
 *
 * Settings (environment):
 *   KAFKA_LOCAL_HOST            bind address                       (127.0.0.1; loopback only)
 *   KAFKA_LOCAL_PORT            client listener port               (19092)
 *   KAFKA_LOCAL_CONTROLLER_PORT controller listener port           (port + 1)
 *   KAFKA_LOCAL_DIR             state dir: classpath, data, logs   (<repo>/.kafka, gitignored)
 *   KAFKA_LOCAL_HEAP            JVM -Xmx                           (512m)
 *   KAFKA_START_TIMEOUT_MS      readiness timeout                  (120000)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(SCRIPT_DIR, '../..');
export const KAFKA_VERSION = '3.9.1';
const POM = path.join(SCRIPT_DIR, 'pom.xml');

/** Resolved settings of the local broker. */
export function brokerSettings(env = process.env) {
  const host = env.KAFKA_LOCAL_HOST || '127.0.0.1';
  const port = Number(env.KAFKA_LOCAL_PORT || 19092);
  const controllerPort = Number(env.KAFKA_LOCAL_CONTROLLER_PORT || port + 1);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`KAFKA_LOCAL_PORT is not a port: ${env.KAFKA_LOCAL_PORT}`);
  const dir = path.resolve(ROOT, env.KAFKA_LOCAL_DIR || '.kafka');
  const brokerDir = path.join(dir, `broker-${port}`);
  return {
    host,
    port,
    controllerPort,
    dir,
    brokerDir,
    dataDir: path.join(brokerDir, 'data'),
    logsDir: path.join(brokerDir, 'logs'),
    pidFile: path.join(brokerDir, 'broker.pid'),
    propertiesFile: path.join(brokerDir, 'server.properties'),
    classpathFile: path.join(dir, 'classpath.txt'),
    heap: env.KAFKA_LOCAL_HEAP || '512m',
    startTimeoutMs: Number(env.KAFKA_START_TIMEOUT_MS || 120_000),
    bootstrap: `${host}:${port}`,
  };
}

const noop = () => {};

/**
 * The Kafka classpath (jars in Maven's local repository), resolved once with `mvn dependency:build-classpath`
 * and cached in `<dir>/classpath.txt`; re-resolved when the pom changes or a jar disappeared.
 */
export function ensureClasspath({ log = noop, env = process.env } = {}) {
  const s = brokerSettings(env);
  const stampFile = `${s.classpathFile}.sha256`;
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (existsSync(s.classpathFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === pomHash) {
    const cp = readFileSync(s.classpathFile, 'utf8').trim();
    if (cp && cp.split(path.delimiter).every((jar) => existsSync(jar))) return cp;
  }
  mkdirSync(s.dir, { recursive: true });
  log(`Resolving Apache Kafka ${KAFKA_VERSION} with Maven (first run downloads it into Maven's local repository)...`);
  const started = Date.now();
  const mvn = spawnSync('mvn', ['-B', '-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${s.classpathFile}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (mvn.error) throw new Error(`Could not run Maven (mvn): ${mvn.error.message}. Install Maven 3 and Java 17+.`);
  if (mvn.status !== 0) throw new Error(`Maven could not resolve Kafka (exit ${mvn.status}):\n${tail(`${mvn.stdout}\n${mvn.stderr}`, 40)}`);
  const cp = readFileSync(s.classpathFile, 'utf8').trim();
  writeFileSync(stampFile, `${pomHash}\n`);
  log(`Classpath resolved in ${((Date.now() - started) / 1000).toFixed(1)} s (${cp.split(path.delimiter).length} jars): ${s.classpathFile}`);
  return cp;
}

/** The `java` to run: `$JAVA_HOME/bin/java` when JAVA_HOME is set. */
export function javaBinary(env = process.env) {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * Runs a Kafka main class (e.g. `org.apache.kafka.tools.TopicCommand`, `kafka.admin.ConfigCommand`) with the
 * local classpath; resolves with its exit code. `stdio` as in child_process (default inherit).
 */
export function runKafkaClass(className, args = [], { stdio = 'inherit', env = process.env, log = noop } = {}) {
  const cp = ensureClasspath({ log, env });
  const s = brokerSettings(env);
  const jvm = ['-Xmx256m', '-XX:+UseSerialGC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${path.join(SCRIPT_DIR, 'log4j-tools.properties')}`];
  return new Promise((resolve, reject) => {
    const child = spawn(javaBinary(env), [...jvm, '-cp', cp, className, ...args], { stdio, env: { ...env, KAFKA_LOCAL_DIR: s.dir } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function serverProperties(s) {
  return [
    '# Written by scripts/kafka/lib.mjs: a single-node KRaft broker for tests (loopback only).',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${s.host}:${s.controllerPort}`,
    `listeners=PLAINTEXT://${s.host}:${s.port},CONTROLLER://${s.host}:${s.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${s.host}:${s.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${s.dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=5',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=5',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'auto.leader.rebalance.enable=false',
    'num.network.threads=2',
    'num.io.threads=4',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (never starting with '-'). */
export function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The pid in a pid file, or undefined. */
export function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and (where /proc exists) its command line contains `marker`: guards against pid reuse. */
export function isOurProcess(pid, marker) {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

/** Whether something accepts TCP connections on host:port. */
export function portInUse(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One metadata round trip (kafkajs admin describeCluster); resolves true when the broker answers with a controller. */
export async function brokerAnswers(bootstrap, timeoutMs = 3000) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'eventgen-kafka-probe',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== undefined;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(noop);
  }
}

/** Last `lines` lines of a text. */
export function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Last `lines` lines of a file ('(no <file>)' when it cannot be read). */
export function fileTail(file, lines = 40) {
  try {
    return tail(readFileSync(file, 'utf8').trimEnd(), lines);
  } catch {
    return `(no ${file})`;
  }
}

/** Broker status: `running` (our process is alive) and `ready` (it answers a metadata request). */
export async function brokerStatus({ env = process.env } = {}) {
  const s = brokerSettings(env);
  const pid = readPid(s.pidFile);
  const running = isOurProcess(pid, s.propertiesFile);
  const ready = running && (await brokerAnswers(s.bootstrap));
  return { running, ready, pid: running ? pid : undefined, bootstrap: s.bootstrap, dir: s.brokerDir };
}

/**
 * Starts the broker unless ours is already running; resolves once it answers a metadata request.
 * Returns `{ started }` (false when it was already running), the bootstrap address and the time taken.
 * On failure the broker's log tail is in the error message and the process is stopped.
 */
export async function startBroker({ log = noop, env = process.env } = {}) {
  const t0 = Date.now();
  const s = brokerSettings(env);
  const existing = await brokerStatus({ env });
  if (existing.running) {
    if (!existing.ready && !(await waitReady(s, existing.pid, Math.min(s.startTimeoutMs, 60_000)))) {
      throw new Error(`A broker started earlier (pid ${existing.pid}) is running but not answering on ${s.bootstrap}.\n${logTails(s)}`);
    }
    return { started: false, bootstrap: s.bootstrap, pid: existing.pid, ms: Date.now() - t0 };
  }
  if (await portInUse(s.host, s.port)) throw new Error(`Port ${s.bootstrap} is in use by another process; set KAFKA_LOCAL_PORT (or KAFKA_BROKERS to use that broker).`);
  if (await portInUse(s.host, s.controllerPort)) throw new Error(`Controller port ${s.host}:${s.controllerPort} is in use; set KAFKA_LOCAL_CONTROLLER_PORT.`);

  const cp = ensureClasspath({ log, env });
  mkdirSync(s.logsDir, { recursive: true });
  mkdirSync(s.dataDir, { recursive: true });
  writeFileSync(s.propertiesFile, serverProperties(s));
  const java = javaBinary(env);
  const log4j = `-Dlog4j.configuration=file:${path.join(SCRIPT_DIR, 'log4j.properties')}`;
  const logsDirProp = `-Dkafka.logs.dir=${s.logsDir}`;

  if (!existsSync(path.join(s.dataDir, 'meta.properties'))) {
    const tf = Date.now();
    const format = spawnSync(
      java,
      ['-Xmx256m', '-XX:+UseSerialGC', log4j, logsDirProp, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', s.propertiesFile, '--ignore-formatted'],
      { encoding: 'utf8' },
    );
    if (format.error || format.status !== 0) {
      throw new Error(`kafka.tools.StorageTool format failed (exit ${format.status}): ${format.error?.message ?? ''}\n${tail(`${format.stdout}\n${format.stderr}`)}`);
    }
    log(`Formatted KRaft storage in ${((Date.now() - tf) / 1000).toFixed(1)} s: ${s.dataDir}`);
  }

  const out = openSync(path.join(s.logsDir, 'server.out'), 'a');
  const jvm = [
    '-Xms128m',
    `-Xmx${s.heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    log4j,
    logsDirProp,
  ];
  const child = spawn(java, [...jvm, '-cp', cp, 'kafka.Kafka', s.propertiesFile], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', noop);
  child.unref();
  if (child.pid === undefined) throw new Error(`Could not start ${java}`);
  writeFileSync(s.pidFile, `${child.pid}\n`);
  log(`Starting Kafka ${KAFKA_VERSION} (pid ${child.pid}) on ${s.bootstrap}...`);

  const ready = await Promise.race([waitReady(s, child.pid, s.startTimeoutMs), exited.then(() => false)]);
  if (!ready) {
    const alive = isOurProcess(child.pid, s.propertiesFile);
    if (alive) await stopPid(child.pid, s.propertiesFile, 10_000);
    rmSync(s.pidFile, { force: true });
    const why = alive ? `did not answer within ${s.startTimeoutMs} ms` : 'exited during start-up';
    throw new Error(`Kafka on ${s.bootstrap} ${why}.\n${logTails(s)}`);
  }
  return { started: true, bootstrap: s.bootstrap, pid: child.pid, ms: Date.now() - t0 };
}

function logTails(s) {
  return `--- ${path.join(s.logsDir, 'server.out')} (tail) ---\n${fileTail(path.join(s.logsDir, 'server.out'), 20)}\n--- ${path.join(s.logsDir, 'server.log')} (tail) ---\n${fileTail(path.join(s.logsDir, 'server.log'), 40)}`;
}

async function waitReady(s, pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, s.propertiesFile)) return false;
    if (await brokerAnswers(s.bootstrap, 2000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** SIGTERM to our process `pid` (checked with `marker`), SIGKILL after `timeoutMs`; false when it was not running. */
export async function stopPid(pid, marker, timeoutMs) {
  if (!isOurProcess(pid, marker)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
  return true;
}

/** Stops the broker this script started (its pid file), never another process. `clean` also deletes its data. */
export async function stopBroker({ log = noop, env = process.env, clean = false } = {}) {
  const s = brokerSettings(env);
  const pid = readPid(s.pidFile);
  let stopped = false;
  if (isOurProcess(pid, s.propertiesFile)) {
    log(`Stopping Kafka (pid ${pid}) on ${s.bootstrap}...`);
    stopped = await stopPid(pid, s.propertiesFile, 30_000);
  } else if (pid !== undefined) log(`No broker of ours is running (stale pid file ${s.pidFile} removed).`);
  else log(`No broker of ours is running on ${s.bootstrap}.`);
  rmSync(s.pidFile, { force: true });
  if (clean) {
    rmSync(s.brokerDir, { recursive: true, force: true });
    log(`Removed ${s.brokerDir}`);
  }
  return { stopped };
}

// ---------------------------------------------------------------------------------------------------------------
// Redis: a throwaway redis-server (from the machine's packages) on its own port, for CI and for outage tests.

/** Settings of a local Redis on `port` (default REDIS_LOCAL_PORT or 6379). */
export function redisSettings({ port, env = process.env } = {}) {
  const p = Number(port ?? (env.REDIS_LOCAL_PORT || 6379));
  const dir = path.join(path.resolve(ROOT, env.KAFKA_LOCAL_DIR || '.kafka'), `redis-${p}`);
  return { host: '127.0.0.1', port: p, dir, pidFile: path.join(dir, 'redis.pid'), logFile: path.join(dir, 'redis.log'), url: `redis://127.0.0.1:${p}` };
}

/** Whether something answers PING on the port (raw RESP, no client library needed). */
export function redisAnswers(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

/** Starts redis-server on the port unless something already answers there; `{ started }` says whether we did. */
export async function startRedis({ port, env = process.env, log = noop } = {}) {
  const s = redisSettings({ port, env });
  if (await redisAnswers(s.port)) return { started: false, port: s.port, url: s.url };
  mkdirSync(s.dir, { recursive: true });
  const args = ['--port', String(s.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', s.dir, '--logfile', s.logFile, '--daemonize', 'no'];
  const child = spawn('redis-server', args, { detached: true, stdio: 'ignore' });
  const failed = new Promise((resolve) => {
    child.once('error', (e) => resolve(e));
    child.once('exit', (code) => resolve(new Error(`redis-server exited with ${code}`)));
  });
  child.unref();
  if (child.pid !== undefined) writeFileSync(s.pidFile, `${child.pid}\n`);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const early = await Promise.race([failed, new Promise((r) => setTimeout(() => r(undefined), 100))]);
    if (early instanceof Error) throw new Error(`Could not start redis-server on ${s.port}: ${early.message} (is redis-server installed?)\n${fileTail(s.logFile, 20)}`);
    if (await redisAnswers(s.port)) {
      log(`Started redis-server (pid ${child.pid}) on ${s.url}`);
      return { started: true, port: s.port, url: s.url, pid: child.pid };
    }
  }
  await stopRedis({ port: s.port, env });
  throw new Error(`redis-server on ${s.port} did not answer PING within 10 s\n${fileTail(s.logFile, 20)}`);
}

/** Stops the redis-server this script started on the port (pid file), never another one. */
export async function stopRedis({ port, env = process.env, log = noop } = {}) {
  const s = redisSettings({ port, env });
  const pid = readPid(s.pidFile);
  const ours = isOurProcess(pid, 'redis-server');
  let stopped = false;
  if (ours) {
    stopped = await stopPid(pid, 'redis-server', 10_000);
    log(`Stopped redis-server (pid ${pid}) on ${s.url}`);
  } else log(`No redis-server of ours on ${s.url}`);
  rmSync(s.pidFile, { force: true });
  return { stopped };
}
