/**
 * `scripts/topics.sh`: the same topology through Kafka's own `kafka-topics.sh` / `kafka-configs.sh`
 * (found through `KAFKA_BIN`). Idempotent: creates with `--if-not-exists`, adds missing partitions,
 * sets the declared configs (incrementally: other overrides are kept). Every catalog value is
 * single-quoted for the shell; configs travel in a Java properties file, so any value survives.
 */
import type { Catalog } from '../../model/types.js';
import type { TopicSpec, TopicTopology } from '../../topics/topology.js';

/** A single-quoted shell word for any string. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A shell comment line: no line breaks or control characters. */
function shellComment(s: string): string {
  return `# ${s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')}`.trimEnd();
}

function propertiesEscape(s: string, key: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\f') out += '\\f';
    else if ((key || i === 0) && ch === ' ') out += '\\ ';
    else if ((key || i === 0) && (ch === '=' || ch === ':' || ch === '#' || ch === '!')) out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Configs as a Java properties document (what `kafka-configs.sh --add-config-file` reads). */
export function javaProperties(config: Readonly<Record<string, string>>): string {
  return Object.entries(config)
    .map(([k, v]) => `${propertiesEscape(k, true)}=${propertiesEscape(v, false)}`)
    .join('\n');
}

/** `kafka-topics.sh --config k=v` splits on `=`: values it cannot carry are set by the alter step only. */
function createConfigArgs(config: Readonly<Record<string, string>>): string[] {
  return Object.entries(config)
    .filter(([k, v]) => !/[=\s]/.test(k) && !/[=\r\n]/.test(v) && k.length > 0)
    .map(([k, v]) => shellQuote(`${k}=${v}`));
}

function ensureLine(t: TopicSpec): string {
  const args = [
    shellQuote(t.name),
    t.partitions === undefined ? '-' : String(t.partitions),
    t.replicationFactor === undefined ? '-' : String(t.replicationFactor),
    shellQuote(javaProperties(t.config)),
  ];
  const create = createConfigArgs(t.config);
  args.push(create.length === Object.keys(t.config).length ? 'yes' : 'no', ...create);
  const why = t.deadLetterFor ? `    ${shellComment(`dead-letter topic of ${t.deadLetterFor.join(', ')}`)}\n` : '';
  return `${why}    ensure_topic ${args.join(' ')}`;
}

// Shell parameter expansions are written `%{...}` here (a template literal owns `${`).
const PRELUDE = String.raw`set -euo pipefail

usage() {
  cat <<'USAGE'
usage: topics.sh [--env <name>] [--bootstrap-server <host:port,...>]

Creates the catalog's topics and dead-letter topics, adds missing partitions and sets the declared
configs with Kafka's own tools. Safe to run again. Never lowers partitions (Kafka cannot) and never
removes configs the catalog does not declare (scripts/topics.ts check reports them).

  KAFKA_BIN             directory holding kafka-topics.sh and kafka-configs.sh (default: PATH)
  KAFKA_BROKERS         bootstrap servers, unless --bootstrap-server is given
  KAFKA_COMMAND_CONFIG  client properties file for SASL/TLS (passed as --command-config)
USAGE
}

env_name=''
bootstrap="%{KAFKA_BROKERS:-}"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --env) [ "$#" -ge 2 ] || { echo 'topics.sh: --env needs a value' >&2; exit 2; }; env_name="$2"; shift 2 ;;
    --env=*) env_name="%{1#--env=}"; shift ;;
    --bootstrap-server|--brokers) [ "$#" -ge 2 ] || { echo "topics.sh: $1 needs a value" >&2; exit 2; }; bootstrap="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "topics.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -z "$bootstrap" ]; then
  echo 'topics.sh: set KAFKA_BROKERS or pass --bootstrap-server host:port' >&2
  exit 2
fi

bin="%{KAFKA_BIN:+%{KAFKA_BIN%/}/}"
common=(--bootstrap-server "$bootstrap")
if [ -n "%{KAFKA_COMMAND_CONFIG:-}" ]; then common+=(--command-config "$KAFKA_COMMAND_CONFIG"); fi
status=0
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# ensure_topic <name> <partitions|-> <replication-factor|-> <configs as properties> <create-sets-all:yes|no> [<key=value> ...]
ensure_topic() {
  local name="$1" partitions="$2" replicas="$3" properties="$4" complete="$5"
  shift 5
  local current
  current="$("%{bin}kafka-topics.sh" "%{common[@]}" --describe --topic "$name" 2>/dev/null | sed -n 's/.*PartitionCount:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n 1 || true)"
  if [ -z "$current" ]; then
    local create=(--create --if-not-exists --topic "$name")
    if [ "$partitions" != - ]; then create+=(--partitions "$partitions"); fi
    if [ "$replicas" != - ]; then create+=(--replication-factor "$replicas"); fi
    local entry
    for entry in "$@"; do create+=(--config "$entry"); done
    "%{bin}kafka-topics.sh" "%{common[@]}" "%{create[@]}"
    if [ "$complete" = yes ]; then return 0; fi
  elif [ "$partitions" != - ] && [ "$current" -lt "$partitions" ]; then
    "%{bin}kafka-topics.sh" "%{common[@]}" --alter --topic "$name" --partitions "$partitions"
  elif [ "$partitions" != - ] && [ "$current" -gt "$partitions" ]; then
    echo "topics.sh: $name has $current partitions but the catalog declares $partitions: Kafka cannot remove partitions; declare $current (or more) in the catalog, or migrate to a new topic" >&2
    status=1
  fi
  if [ -n "$properties" ]; then
    printf '%s\n' "$properties" > "$workdir/configs.properties"
    "%{bin}kafka-configs.sh" "%{common[@]}" --alter --entity-type topics --entity-name "$name" --add-config-file "$workdir/configs.properties"
  fi
}
`.replace(/%\{/g, '${');

export function topicsShell(catalog: Catalog, topology: TopicTopology): string {
  const envs = Object.keys(topology.environments);
  const cases: string[] = [
    "  '')",
    ...topology.topics.map(ensureLine),
    '    ;;',
  ];
  for (const env of envs) {
    cases.push(`  ${shellQuote(env)})`, ...(topology.environments[env] ?? []).map(ensureLine), '    ;;');
  }
  const known = envs.length ? `known: ${envs.join(', ')}` : 'the catalog declares no x-environments';
  cases.push('  *)', `    echo "topics.sh: unknown environment: $env_name" ${shellQuote(`(${known})`)} >&2`, '    exit 2', '    ;;');
  return [
    '#!/usr/bin/env bash',
    shellComment(`Kafka topics of ${catalog.title} ${catalog.version} (and their dead-letter topics), with Kafka's own tools.`),
    '#   KAFKA_BIN=/opt/kafka/bin KAFKA_BROKERS=localhost:9092 bash scripts/topics.sh [--env <name>]',
    PRELUDE,
    'case "$env_name" in',
    ...cases,
    'esac',
    'exit "$status"',
    '',
  ].join('\n');
}
