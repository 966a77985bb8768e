/**
 * `kafka/kafka-health.indicator.ts`: Kafka health in `@nestjs/terminus`'s result shape, without importing terminus
 * (a NestJS tree compiles and runs without it; terminus reads only the `status` of each result).
 */
import { NEST } from '../../symbols/files.js';
import { pkg } from '../../symbols/sym.js';
import type { SymbolTable } from '../../symbols/table.js';
import { TsModule } from '../printer.js';
import type { GeneratedFile } from '../types.js';

export function emitNestHealth(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.health);
  mod.declare(N.KafkaHealthIndicator);
  const result = mod.declare(N.KafkaHealthResult);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const connection = mod.use(N.KafkaConnection);
  const producer = mod.use(N.KafkaProducerService);
  const consumer = mod.use(N.KafkaConsumerService);
  const body = `
/**
 * A health check result as \`@nestjs/terminus\` reads it (its \`HealthIndicatorResult\`): \`{ [key]: { status, ...details } }\`.
 */
export type ${result}<Key extends string> = Record<Key, { status: 'up' | 'down' } & Record<string, unknown>>;

function check<Key extends string>(key: Key, up: boolean, details: Record<string, unknown>): ${result}<Key> {
  return { [key]: { ...details, status: up ? 'up' : 'down' } } as ${result}<Key>;
}

/**
 * Kafka health: down when no broker answers a metadata request, when the last send failed, or when a consumer is not
 * running or has a stuck or halted partition. Provided by \`KafkaModule\`; the results have \`@nestjs/terminus\`'s
 * shape, so with terminus installed a controller can use them as they are (terminus is not needed otherwise):
 *
 * \`\`\`ts
 * check() { return this.health.check([() => this.kafka.isHealthy('kafka')]); }   // 503 when down
 * \`\`\`
 * With \`KAFKA_ENABLED=false\` every check is up (\`enabled: false\`).
 */
@${injectable}()
export class KafkaHealthIndicator {
  constructor(
    private readonly connection: ${connection},
    private readonly producer: ${producer},
    private readonly consumer: ${consumer},
  ) {}

  /** Broker reachable, producer and consumers healthy. */
  async isHealthy<const Key extends string = 'kafka'>(key: Key = 'kafka' as Key): Promise<${result}<Key>> {
    if (!this.connection.settings.enabled) return check(key, true, { enabled: false });
    const broker = await this.connection.ping();
    const producer = this.producerState();
    const consumers = this.consumerState();
    return check(key, broker.reachable && producer.healthy && consumers.healthy, { broker, producer, consumers: consumers.details });
  }

  /** Broker reachable and the last send (if any) succeeded. */
  async isProducerHealthy<const Key extends string = 'kafka-producer'>(key: Key = 'kafka-producer' as Key): Promise<${result}<Key>> {
    if (!this.connection.settings.enabled) return check(key, true, { enabled: false });
    const broker = await this.connection.ping();
    const producer = this.producerState();
    return check(key, broker.reachable && producer.healthy, { broker, producer });
  }

  /** Broker reachable and every group consumer running without stuck or halted partitions. */
  async isConsumerHealthy<const Key extends string = 'kafka-consumer'>(key: Key = 'kafka-consumer' as Key): Promise<${result}<Key>> {
    if (!this.connection.settings.enabled) return check(key, true, { enabled: false });
    const broker = await this.connection.ping();
    const consumers = this.consumerState();
    return check(key, broker.reachable && consumers.healthy, { broker, consumers: consumers.details });
  }

  // A producer that has not sent yet is idle, not unhealthy: it connects on first use.
  private producerState() {
    const health = this.producer.health();
    const idle = health.status === 'disconnected' && health.lastError === undefined;
    return { healthy: health.healthy || idle, status: idle ? 'idle' : health.status, sent: health.sent, lastError: health.lastError?.message };
  }

  private consumerState() {
    const all = this.consumer.health();
    return {
      healthy: all.every((c) => c.healthy),
      details: all.map((c) => ({
        groupId: c.groupId,
        status: c.status,
        healthy: c.healthy,
        failingPartitions: c.failingPartitions.length,
        haltedPartitions: c.haltedPartitions.length,
        stuckPartitions: c.partitions.filter((p) => p.stuckSince !== undefined).length,
        // Per owned partition: state (running, paused-for-retry, waiting, failing, halted), offsets, lag, stuckSince.
        partitions: c.partitions,
        lastError: c.lastError?.message,
      })),
    };
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}
