/**
 * A local multi-node Apache Kafka cluster (KRaft) on loopback for tests that need replication: N combined
 * broker+controller nodes, each with its own ports, data dir and log, forming an N-voter controller quorum. Built
 * from the same Maven classpath as the single broker of lib.mjs, which it never touches (other ports, other dir).
 * Used by `scripts/kafka/kafka.mjs ... --brokers N` and by tests (programmatic API below).
 *
 * Settings (environment):
 *   KAFKA_CLUSTER_BROKERS  number of nodes                         (3)
 *   KAFKA_CLUSTER_PORT     client port of node 1; node i listens on port + 2(i-1), its controller on that + 1 (29092)
 *   KAFKA_CLUSTER_DIR      state dir: node-<i>/{data,logs}, cluster.json   (<repo>/.kafka-cluster, gitignored)
 *   KAFKA_CLUSTER_HEAP     JVM -Xmx per node                       (448m)
 *   KAFKA_LOCAL_HOST, KAFKA_START_TIMEOUT_MS as for the single broker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, SCRIPT_DIR, ensureClasspath, fileTail, isOurProcess, javaBinary, newClusterId, portInUse, readPid, stopPid, tail } from './lib.mjs';

const noop = () => {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolved settings of an N-node cluster (`brokers` overrides KAFKA_CLUSTER_BROKERS). */
export function clusterSettings({ brokers, env = process.env } = {}) {
  const count = Number(brokers ?? (env.KAFKA_CLUSTER_BROKERS || 3));
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`the number of brokers must be 1..9, not ${brokers ?? env.KAFKA_CLUSTER_BROKERS}`);
  const host = env.KAFKA_LOCAL_HOST || '127.0.0.1';
  const basePort = Number(env.KAFKA_CLUSTER_PORT || 29092);
  if (!Number.isInteger(basePort) || basePort <= 0 || basePort + 2 * count > 65535) throw new Error(`KAFKA_CLUSTER_PORT is not a port: ${env.KAFKA_CLUSTER_PORT}`);
  const dir = path.resolve(ROOT, env.KAFKA_CLUSTER_DIR || '.kafka-cluster');
  const nodes = Array.from({ length: count }, (_, i) => {
    const id = i + 1;
    const port = basePort + 2 * i;
    const nodeDir = path.join(dir, `node-${id}`);
    return {
      id,
      port,
      controllerPort: port + 1,
      bootstrap: `${host}:${port}`,
      dir: nodeDir,
      dataDir: path.join(nodeDir, 'data'),
      logsDir: path.join(nodeDir, 'logs'),
      pidFile: path.join(nodeDir, 'node.pid'),
      propertiesFile: path.join(nodeDir, 'server.properties'),
    };
  });
  return {
    brokers: count,
    host,
    basePort,
    dir,
    nodes,
    stateFile: path.join(dir, 'cluster.json'),
    heap: env.KAFKA_CLUSTER_HEAP || '448m',
    startTimeoutMs: Number(env.KAFKA_START_TIMEOUT_MS || 120_000),
    bootstrap: nodes.map((n) => n.bootstrap).join(','),
    // Replication that survives one node down: RF = min(3, N), min ISR = RF - 1 (at least 1).
    replicationFactor: Math.min(3, count),
    minInsyncReplicas: Math.max(1, Math.min(3, count) - 1),
  };
}

/** The server.properties of one node (exported for tests of the script). */
export function nodeProperties(s, node) {
  const voters = s.nodes.map((n) => `${n.id}@${s.host}:${n.controllerPort}`).join(',');
  return [
    `# Written by scripts/kafka/cluster.mjs: node ${node.id} of a ${s.brokers}-node KRaft cluster for tests (loopback only).`,
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://${s.host}:${node.port},CONTROLLER://${s.host}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${s.host}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${node.dataDir}`,
    'num.partitions=1',
    `default.replication.factor=${s.replicationFactor}`,
    `min.insync.replicas=${s.minInsyncReplicas}`,
    `offsets.topic.replication.factor=${s.replicationFactor}`,
    'offsets.topic.num.partitions=5',
    `transaction.state.log.replication.factor=${s.replicationFactor}`,
    `transaction.state.log.min.isr=${s.minInsyncReplicas}`,
    'transaction.state.log.num.partitions=5',
    `share.coordinator.state.topic.replication.factor=${s.replicationFactor}`,
    `share.coordinator.state.topic.min.isr=${s.minInsyncReplicas}`,
    'unclean.leader.election.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'auto.leader.rebalance.enable=false',
    // A killed node is noticed within a few seconds (tests measure fail-over, not the defaults' 9 s + 18 s).
    'broker.session.timeout.ms=6000',
    'broker.heartbeat.interval.ms=1000',
    'replica.lag.time.max.ms=10000',
    'num.network.threads=2',
    'num.io.threads=2',
    'num.replica.fetchers=1',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

/** Brokers the cluster reports through `bootstrap` (one metadata round trip), or -1 when it does not answer. */
export async function reportedBrokers(bootstrap, timeoutMs = 3000) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'eventgen-cluster-probe',
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
    return cluster.controller === null || cluster.controller === undefined ? -1 : cluster.brokers.length;
  } catch {
    return -1;
  } finally {
    await admin.disconnect().catch(noop);
  }
}

function nodeRunning(node) {
  const pid = readPid(node.pidFile);
  return isOurProcess(pid, node.propertiesFile) ? pid : undefined;
}

/**
 * Per-node status (`running`: our process is alive; `reported`: brokers the cluster reports through this node,
 * -1 when it does not answer) and `ready` = every node runs and reports all N brokers.
 */
export async function clusterStatus({ brokers, env = process.env } = {}) {
  const s = clusterSettings({ brokers, env });
  const nodes = await Promise.all(
    s.nodes.map(async (n) => {
      const pid = nodeRunning(n);
      const reported = pid === undefined ? -1 : await reportedBrokers(n.bootstrap);
      return { id: n.id, bootstrap: n.bootstrap, pid, running: pid !== undefined, reported, dir: n.dir };
    }),
  );
  return { brokers: s.brokers, bootstrap: s.bootstrap, dir: s.dir, nodes, ready: nodes.every((n) => n.running && n.reported === s.brokers) };
}

function readState(s) {
  try {
    return JSON.parse(readFileSync(s.stateFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Formats a node's storage with the cluster id unless already formatted. */
function formatNode(s, node, clusterId, cp, env) {
  if (existsSync(path.join(node.dataDir, 'meta.properties'))) return;
  const log4j = `-Dlog4j.configuration=file:${path.join(SCRIPT_DIR, 'log4j.properties')}`;
  const format = spawnSync(
    javaBinary(env),
    ['-Xmx256m', '-XX:+UseSerialGC', log4j, `-Dkafka.logs.dir=${node.logsDir}`, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', node.propertiesFile, '--ignore-formatted'],
    { encoding: 'utf8' },
  );
  if (format.error || format.status !== 0) {
    throw new Error(`kafka.tools.StorageTool format of node ${node.id} failed (exit ${format.status}): ${format.error?.message ?? ''}\n${tail(`${format.stdout}\n${format.stderr}`)}`);
  }
}

function spawnNode(s, node, cp, env) {
  const out = openSync(path.join(node.logsDir, 'server.out'), 'a');
  const jvm = [
    '-Xms128m',
    `-Xmx${s.heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${path.join(SCRIPT_DIR, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${node.logsDir}`,
  ];
  const child = spawn(javaBinary(env), [...jvm, '-cp', cp, 'kafka.Kafka', node.propertiesFile], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.once('error', noop);
  child.unref();
  if (child.pid === undefined) throw new Error(`Could not start ${javaBinary(env)} for node ${node.id}`);
  writeFileSync(node.pidFile, `${child.pid}\n`);
  return child.pid;
}

function nodeLogTails(nodes) {
  return nodes
    .map((n) => `--- node ${n.id}: ${path.join(n.logsDir, 'server.log')} (tail) ---\n${fileTail(path.join(n.logsDir, 'server.log'), 25)}`)
    .join('\n');
}

/** Waits until every node in `ids` runs and reports `s.brokers` brokers; false on timeout or a node exiting. */
async function waitClusterReady(s, ids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const nodes = s.nodes.filter((n) => ids.includes(n.id));
  while (Date.now() < deadline) {
    if (nodes.some((n) => nodeRunning(n) === undefined)) return false;
    const counts = await Promise.all(nodes.map((n) => reportedBrokers(n.bootstrap, 2000)));
    if (counts.every((c) => c === s.brokers)) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Starts the nodes of the cluster that are not running (all of them on first use: storage formatted with one
 * cluster id) and resolves once every node answers a metadata request and the cluster reports N brokers.
 * Returns `{ started: ids started now, bootstrap, nodes: [{ id, pid, bootstrap }], ms }`. On failure the nodes
 * started by this call are stopped and their log tails are in the error.
 */
export async function startCluster({ brokers, env = process.env, log = noop } = {}) {
  const t0 = Date.now();
  const s = clusterSettings({ brokers, env });
  const state = readState(s);
  if (state !== undefined && (state.brokers !== s.brokers || state.basePort !== s.basePort)) {
    throw new Error(`${s.dir} holds a ${state.brokers}-node cluster on port ${state.basePort}, not ${s.brokers} nodes on ${s.basePort}: stop it with --clean first`);
  }
  const missing = s.nodes.filter((n) => nodeRunning(n) === undefined);
  for (const n of missing) {
    if (await portInUse(s.host, n.port)) throw new Error(`Port ${n.bootstrap} (node ${n.id}) is in use by another process; set KAFKA_CLUSTER_PORT.`);
    if (await portInUse(s.host, n.controllerPort)) throw new Error(`Controller port ${s.host}:${n.controllerPort} (node ${n.id}) is in use; set KAFKA_CLUSTER_PORT.`);
  }
  if (missing.length > 0) {
    const cp = ensureClasspath({ log, env });
    const clusterId = state?.clusterId ?? newClusterId();
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(s.stateFile, `${JSON.stringify({ clusterId, brokers: s.brokers, basePort: s.basePort }, null, 2)}\n`);
    for (const n of missing) {
      mkdirSync(n.logsDir, { recursive: true });
      mkdirSync(n.dataDir, { recursive: true });
      writeFileSync(n.propertiesFile, nodeProperties(s, n));
      formatNode(s, n, clusterId, cp, env);
    }
    for (const n of missing) log(`Starting Kafka node ${n.id} (pid ${spawnNode(s, n, cp, env)}) on ${n.bootstrap}...`);
  }
  const ready = await waitClusterReady(s, s.nodes.map((n) => n.id), s.startTimeoutMs);
  if (!ready) {
    const tails = nodeLogTails(s.nodes);
    await Promise.all(missing.map((n) => stopNodeProcess(n, 10_000)));
    throw new Error(`The ${s.brokers}-node cluster on ${s.bootstrap} did not become ready within ${s.startTimeoutMs} ms.\n${tails}`);
  }
  return {
    started: missing.map((n) => n.id),
    bootstrap: s.bootstrap,
    nodes: s.nodes.map((n) => ({ id: n.id, pid: nodeRunning(n), bootstrap: n.bootstrap })),
    ms: Date.now() - t0,
  };
}

async function stopNodeProcess(node, timeoutMs) {
  const pid = readPid(node.pidFile);
  const stopped = await stopPid(pid, node.propertiesFile, timeoutMs);
  rmSync(node.pidFile, { force: true });
  return stopped;
}

/**
 * Stops the nodes this script started (their pid files), never another process: SIGTERM to all at once (a node
 * waiting for a quorum that is shutting down too is SIGKILLed after 20 s). `clean` also deletes the cluster's data.
 */
export async function stopCluster({ brokers, env = process.env, log = noop, clean = false } = {}) {
  const s = clusterSettings({ brokers, env });
  const results = await Promise.all(
    s.nodes.map(async (n) => {
      const pid = nodeRunning(n);
      if (pid === undefined) {
        rmSync(n.pidFile, { force: true });
        return false;
      }
      log(`Stopping Kafka node ${n.id} (pid ${pid}) on ${n.bootstrap}...`);
      return stopNodeProcess(n, 20_000);
    }),
  );
  if (!results.some(Boolean)) log(`No node of ours is running on ${s.bootstrap}.`);
  if (clean) {
    rmSync(s.dir, { recursive: true, force: true });
    log(`Removed ${s.dir}`);
  }
  return { stopped: s.nodes.filter((_, i) => results[i]).map((n) => n.id) };
}

function nodeOf(s, id) {
  const node = s.nodes.find((n) => n.id === Number(id));
  if (node === undefined) throw new Error(`no node ${id} in a ${s.brokers}-node cluster (ids 1..${s.brokers})`);
  return node;
}

/**
 * Sends `signal` (default SIGKILL: a crash) to node `id`, one of ours; resolves once the process is gone
 * (SIGKILL) or has exited (other signals, up to 30 s). Returns the pid.
 */
export async function killNode(id, { brokers, env = process.env, signal = 'SIGKILL' } = {}) {
  const s = clusterSettings({ brokers, env });
  const node = nodeOf(s, id);
  const pid = nodeRunning(node);
  if (pid === undefined) throw new Error(`node ${id} of the cluster on ${s.bootstrap} is not running`);
  process.kill(pid, signal);
  const deadline = Date.now() + (signal === 'SIGKILL' ? 10_000 : 30_000);
  while (isOurProcess(pid, node.propertiesFile)) {
    if (Date.now() > deadline) throw new Error(`node ${id} (pid ${pid}) still alive ${signal === 'SIGKILL' ? 10 : 30} s after ${signal}`);
    await sleep(50);
  }
  rmSync(node.pidFile, { force: true });
  return { pid };
}

/** Starts node `id` again (same ports and data) and resolves once the whole cluster reports N brokers. */
export async function startNode(id, { brokers, env = process.env, log = noop } = {}) {
  const t0 = Date.now();
  const s = clusterSettings({ brokers, env });
  const node = nodeOf(s, id);
  let pid = nodeRunning(node);
  if (pid === undefined) {
    if (!existsSync(path.join(node.dataDir, 'meta.properties'))) throw new Error(`node ${id} has no formatted storage in ${node.dataDir}: start the cluster first`);
    const cp = ensureClasspath({ log, env });
    pid = spawnNode(s, node, cp, env);
    log(`Restarting Kafka node ${id} (pid ${pid}) on ${node.bootstrap}...`);
  }
  if (!(await waitClusterReady(s, s.nodes.map((n) => n.id), s.startTimeoutMs))) {
    throw new Error(`node ${id} did not rejoin the cluster on ${s.bootstrap} within ${s.startTimeoutMs} ms.\n${nodeLogTails([node])}`);
  }
  return { pid, ms: Date.now() - t0 };
}

/** Node id of the leader of `topic`/`partition` (-1 when it has none), from the cluster's metadata. */
export async function partitionLeader(topic, partition, { brokers, env = process.env } = {}) {
  const s = clusterSettings({ brokers, env });
  const { Kafka, logLevel } = await import('kafkajs');
  const live = s.nodes.filter((n) => nodeRunning(n) !== undefined).map((n) => n.bootstrap);
  const admin = new Kafka({ clientId: 'eventgen-cluster-leader', brokers: live.length > 0 ? live : [s.nodes[0].bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = topics[0]?.partitions.find((x) => x.partitionId === Number(partition));
    if (p === undefined) throw new Error(`no partition ${partition} of topic '${topic}'`);
    return p.leader;
  } finally {
    await admin.disconnect().catch(noop);
  }
}
