/**
 * The per-scenario table: each scenario test adds its row (printed at once, and appended to
 * test/output/witness/report.md so a whole run's table can be read afterwards).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { FULL_SCALE, OUTPUT } from './driver.js';
import type { WitnessCounts } from './witness-db.js';

/** One row: the witness counts plus the scenario's own measurements. */
export interface ReportRow {
  scenario: string;
  counts?: WitnessCounts;
  /** Scenario-specific numbers, e.g. `{ 'longest gap ms': 812 }`. */
  measured?: Record<string, string | number>;
  /** What the target behaviour requires and whether today's runtime meets it. */
  verdict: string;
}

const HEADER = '| scenario | acked | lost | dup effects | dup events | concurrent | measured | verdict |\n|---|---:|---:|---:|---:|---:|---|---|';

/** Formats one row as a Markdown table line. */
export function formatRow(row: ReportRow): string {
  const c = row.counts;
  const cell = (n: number | undefined): string => (n === undefined ? '' : String(n));
  const measured = Object.entries(row.measured ?? {})
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(1)) : v}`)
    .join('; ');
  return `| ${row.scenario} | ${cell(c?.acked)} | ${cell(c?.lost)} | ${cell(c?.duplicates)} | ${cell(c?.duplicatedEvents)} | ${cell(c?.concurrent)} | ${measured} | ${row.verdict} |`;
}

/** Prints the row under the table header and appends it to the run's report file. */
export function report(row: ReportRow): void {
  const line = formatRow(row);
  console.log(`[witness] ${FULL_SCALE ? 'full scale' : 'ci scale'}\n${HEADER}\n${line}`);
  mkdirSync(OUTPUT, { recursive: true });
  appendFileSync(path.join(OUTPUT, 'report.md'), `${line}\n`);
}
