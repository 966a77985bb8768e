/** `GET /health`: 200 while Kafka is healthy, 503 (terminus) when the broker, the producer or a consumer is not. */
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { KafkaHealthIndicator } from './events/index.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kafka: KafkaHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.kafka.isHealthy('kafka')]);
  }
}
