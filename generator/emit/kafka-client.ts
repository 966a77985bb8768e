/** The Kafka client choice a generated service main passes to `createTransport` (catalog `x-eventgen.kafkaClient`). */
import type { SymbolTable } from '../symbols/table.js';
import type { TsModule } from './printer.js';
import { tsString } from './text.js';

/**
 * `, client: kafkaClientFromEnv(env, '<catalog client>')` when the catalog names a client (so `KAFKA_CLIENT` still
 * overrides it), else '' (the runtime's own default: `KAFKA_CLIENT`, else kafkajs). Expects `env` in scope.
 */
export function clientOption(table: SymbolTable, mod: TsModule): string {
  const client = table.catalog.kafkaClient;
  if (client === undefined) return '';
  return `, client: ${mod.use(table.runtime('kafkaClientFromEnv'))}(env, ${tsString(client)})`;
}
