#!/usr/bin/env node
/**
 * Local Apache Kafka for tests and examples (see lib.mjs for the settings).
 *
 *   node scripts/kafka/kafka.mjs start            start (or reuse) the broker; prints KAFKA_BROKERS=host:port
 *   node scripts/kafka/kafka.mjs stop [--clean]   stop the broker this script started; --clean deletes its data
 *   node scripts/kafka/kafka.mjs status           exit 0 when ours runs and answers, 3 when not running, 1 when not answering
 *   node scripts/kafka/kafka.mjs classpath        print the Kafka classpath (resolving it with Maven if needed)
 *   node scripts/kafka/kafka.mjs run-class <main class> [args...]   run a Kafka tool class (TopicCommand, ConfigCommand, ...)
 *   node scripts/kafka/kafka.mjs redis-start|redis-stop|redis-status [port]   a throwaway redis-server (default 6379)
 *
 * A multi-node KRaft cluster (cluster.mjs: its own ports from 29092 and dir .kafka-cluster; the single broker
 * above is never touched) with `--brokers N` (N > 1; `npm run kafka:start -- --brokers 3`):
 *   start|stop [--clean]|status --brokers N      the whole cluster (status: exit 0 when every node reports N brokers)
 *   kill-node <id> [--signal SIGTERM] --brokers N   SIGKILL (default) one node of ours
 *   start-node <id> --brokers N                  start one node again; waits until the cluster reports N brokers
 *   leader <topic> <partition> --brokers N       print the node id leading the partition
 */
import { clusterStatus, killNode, partitionLeader, startCluster, startNode, stopCluster } from './cluster.mjs';
import { brokerStatus, ensureClasspath, redisAnswers, redisSettings, runKafkaClass, startBroker, startRedis, stopBroker, stopRedis } from './lib.mjs';

const log = (line) => process.stderr.write(`[kafka] ${line}\n`);
const [command, ...argv] = process.argv.slice(2);

/** Removes `--name value` (or `--name=value`) from argv; returns the value. */
function option(name) {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const [flag] = argv.splice(at, 1);
  if (flag.includes('=')) return flag.slice(flag.indexOf('=') + 1);
  const [value] = argv.splice(at, 1);
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}
let brokers = 1;
let signalOption;
const args = argv;

async function cluster() {
  switch (command) {
    case 'start': {
      const r = await startCluster({ brokers, log });
      log(r.started.length > 0 ? `Kafka cluster (${brokers} nodes) ready on ${r.bootstrap} in ${(r.ms / 1000).toFixed(1)} s` : `Kafka cluster already running on ${r.bootstrap}`);
      process.stdout.write(`KAFKA_BROKERS=${r.bootstrap}\n`);
      return 0;
    }
    case 'stop':
      await stopCluster({ brokers, log, clean: args.includes('--clean') });
      return 0;
    case 'status': {
      const s = await clusterStatus({ brokers });
      for (const n of s.nodes) process.stdout.write(`node ${n.id} ${n.running ? (n.reported >= 0 ? `running, reports ${n.reported} brokers` : 'not answering') : 'stopped'} ${n.bootstrap}${n.pid ? ` pid ${n.pid}` : ''}\n`);
      process.stdout.write(`${s.ready ? 'ready' : 'not ready'} ${s.bootstrap} (${s.dir})\n`);
      return s.ready ? 0 : s.nodes.some((n) => n.running) ? 1 : 3;
    }
    case 'kill-node': {
      const r = await killNode(args[0], { brokers, signal: signalOption ?? 'SIGKILL' });
      log(`node ${args[0]} (pid ${r.pid}) ended by ${signalOption ?? 'SIGKILL'}`);
      return 0;
    }
    case 'start-node': {
      const r = await startNode(args[0], { brokers, log });
      log(`node ${args[0]} (pid ${r.pid}) back; cluster reports ${brokers} brokers after ${(r.ms / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'leader':
      if (args.length < 2) throw new Error('usage: kafka.mjs leader <topic> <partition> --brokers N');
      process.stdout.write(`${await partitionLeader(args[0], args[1], { brokers })}\n`);
      return 0;
    default:
      process.stderr.write('usage with --brokers N: kafka.mjs start | stop [--clean] | status | kill-node <id> [--signal S] | start-node <id> | leader <topic> <partition>\n');
      return 2;
  }
}

async function main() {
  const brokersOption = option('brokers');
  signalOption = option('signal');
  brokers = brokersOption === undefined ? 1 : Number(brokersOption);
  if (!Number.isInteger(brokers) || brokers < 1) throw new Error(`--brokers must be a positive integer, not ${brokersOption}`);
  if (brokers > 1) return cluster();
  switch (command) {
    case 'start': {
      const r = await startBroker({ log });
      log(r.started ? `Kafka ready on ${r.bootstrap} in ${(r.ms / 1000).toFixed(1)} s (pid ${r.pid})` : `Kafka already running on ${r.bootstrap} (pid ${r.pid})`);
      process.stdout.write(`KAFKA_BROKERS=${r.bootstrap}\n`);
      return 0;
    }
    case 'stop':
      await stopBroker({ log, clean: args.includes('--clean') });
      return 0;
    case 'status': {
      const s = await brokerStatus();
      process.stdout.write(`${s.running ? (s.ready ? 'running' : 'not answering') : 'stopped'} ${s.bootstrap}${s.pid ? ` pid ${s.pid}` : ''} (${s.dir})\n`);
      return s.running ? (s.ready ? 0 : 1) : 3;
    }
    case 'classpath':
      process.stdout.write(`${ensureClasspath({ log })}\n`);
      return 0;
    case 'run-class': {
      const [className, ...rest] = args;
      if (!className) throw new Error('usage: kafka.mjs run-class <main class> [args...]');
      return await runKafkaClass(className, rest, { log });
    }
    case 'redis-start': {
      const r = await startRedis({ port: args[0], log });
      if (!r.started) log(`Redis already answering on ${r.url} (not ours to stop)`);
      process.stdout.write(`REDIS_URL=${r.url}\n`);
      return 0;
    }
    case 'redis-stop':
      await stopRedis({ port: args[0], log });
      return 0;
    case 'redis-status': {
      const s = redisSettings({ port: args[0] });
      const ok = await redisAnswers(s.port);
      process.stdout.write(`${ok ? 'running' : 'stopped'} ${s.url}\n`);
      return ok ? 0 : 3;
    }
    default:
      process.stderr.write('usage: kafka.mjs start | stop [--clean] | status | classpath | run-class <class> [args] | redis-start|redis-stop|redis-status [port]\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[kafka] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
