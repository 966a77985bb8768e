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
 */
import { brokerStatus, ensureClasspath, redisAnswers, redisSettings, runKafkaClass, startBroker, startRedis, stopBroker, stopRedis } from './lib.mjs';

const log = (line) => process.stderr.write(`[kafka] ${line}\n`);
const [command, ...args] = process.argv.slice(2);

async function main() {
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
