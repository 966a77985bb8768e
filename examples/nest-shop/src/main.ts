/** Starts nest-shop: `KAFKA_BROKERS=localhost:9092 node --import @swc-node/register src/main.ts` or any TS runner with decorator metadata. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule.register());
  // SIGTERM/SIGINT run the shutdown hooks: consumers drain, commit and leave their groups, the producer flushes.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
}

await main();
