/**
 * Topic provisioning artifacts, all from the one topology (`generator/topics/topology.ts`):
 * `scripts/topics.ts` (plan/apply/check through the runtime's `topics-admin.ts`), `scripts/topics.sh`
 * (Kafka's own command-line tools) and `topology.json` (for other tools).
 */
import type { SymbolTable } from '../../symbols/table.js';
import { catalogTopology } from '../../topics/topology.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { topologyJson } from './json.js';
import { topicsScript } from './script.js';
import { topicsShell } from './shell.js';

export const TOPICS_SCRIPT = 'scripts/topics.ts';
export const TOPICS_SHELL = 'scripts/topics.sh';
export const TOPOLOGY_JSON = 'topology.json';

export function emitTopicProvisioning(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const memo = options.memo;
  // Topic scripts read topics, their settings and the catalog's title and version: all in the memo's global key.
  return memo ? memo.units.get('topic-provisioning', '', memo.global, () => provisioning(table, options)) : provisioning(table, options);
}

function provisioning(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const catalog = table.catalog;
  const topology = catalogTopology(catalog);
  return [
    { path: TOPICS_SCRIPT, content: topicsScript(table, topology, TOPICS_SCRIPT), ownership: 'managed' },
    { path: TOPICS_SHELL, content: topicsShell(catalog, topology), ownership: 'managed' },
    { path: TOPOLOGY_JSON, content: topologyJson(catalog, topology, options.version), ownership: 'managed' },
  ];
}
