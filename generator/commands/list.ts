/**
 * The `gen` sub-commands by name: what `gen --help` lists, without loading any command's module (each is loaded
 * when named on the command line: `gen events` never loads kafkajs, the diff engine or the dead-letter tools).
 */
export const COMMAND_LIST = {
  events: { command: 'events', describe: 'Generate typed producers, consumers, stubs and validators from an AsyncAPI catalog' },
  topics: { command: 'topics [action]', describe: 'Compare the catalog\'s topics with a cluster (plan, check) or create/repair them (apply)' },
  diff: { command: 'diff [from] [to]', describe: 'Classify the changes between two catalog versions (breaking, non-breaking, info) for CI' },
  docs: { command: 'docs', describe: 'Generate only the static HTML docs site (for publishing)' },
  schemas: { command: 'schemas [action]', describe: 'Register the catalog\'s Avro schemas in a schema registry (plan, register) or check their compatibility (check)' },
  dlq: { command: 'dlq [action] [topic] [partition] [offset]', describe: 'Inspect dead-letter topics (list, show), replay dead letters to their topic, purge them' },
} as const;
