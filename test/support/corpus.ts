/** The shared corpus of AsyncAPI documents written by others (../shared/corpus) and the corpus test's table. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Diagnostic } from '../../generator/index.js';
import { ROOT } from './tree.js';

export const CORPUS = path.resolve(ROOT, '../shared/corpus');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = path.join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** Entry documents (a root object with an `asyncapi` key), relative to CORPUS, forward slashes, sorted. */
export function corpusDocuments(): string[] {
  return walk(CORPUS)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .filter((f) => {
      try {
        const data: unknown = parse(readFileSync(f, 'utf8'));
        return typeof data === 'object' && data !== null && 'asyncapi' in data;
      } catch {
        return false;
      }
    })
    .map((f) => path.relative(CORPUS, f).split(path.sep).join('/'))
    .sort();
}

export type Outcome =
  /** `files`: without the runtime copy and docs/. */
  | { kind: 'generated'; files: number; warnings: number }
  | { kind: 'refused'; errors: Diagnostic[] }
  /** Not read again: the strict reading generated. */
  | { kind: 'same' };

export interface CorpusRow {
  doc: string;
  strict: Outcome;
  lenient: Outcome;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

function describeOutcome(o: Outcome): string {
  if (o.kind === 'same') return 'as strict';
  if (o.kind === 'generated') return `generated (${o.files} files + runtime, docs${o.warnings ? `, ${o.warnings} warning${o.warnings === 1 ? '' : 's'}` : ''})`;
  const first = o.errors[0];
  const rules = [...new Set(o.errors.map((e) => e.rule))];
  const where = first?.location ? `${path.basename(first.location.file)}:${first.location.line}` : '';
  const msg = (first?.message ?? '').split(CORPUS + '/').join('');
  const short = msg.length > 110 ? `${msg.slice(0, 107)}...` : msg;
  return `refused: \`${rules.join('`, `')}\` (${o.errors.length}) ${where} ${short}`;
}

const generates = (o: Outcome, strict: Outcome): boolean => o.kind === 'generated' || (o.kind === 'same' && strict.kind === 'generated');

/** The Markdown table of outcomes, with a count line per corpus folder. */
export function outcomeTable(rows: readonly CorpusRow[]): string {
  const lines = ['| document | strict | `--lenient` |', '|---|---|---|'];
  for (const r of rows) {
    const strict = describeOutcome(r.strict);
    const lenient = describeOutcome(r.lenient);
    lines.push(`| ${cell(r.doc)} | ${cell(strict)} | ${cell(lenient === strict ? 'same refusal' : lenient)} |`);
  }
  const counts: string[] = [];
  for (const folder of [...new Set(rows.map((r) => r.doc.split('/')[0] ?? ''))]) {
    const mine = rows.filter((r) => r.doc.startsWith(folder + '/'));
    const strict = mine.filter((r) => r.strict.kind === 'generated').length;
    const lenient = mine.filter((r) => generates(r.lenient, r.strict)).length;
    counts.push(`${folder}: ${mine.length} documents, ${strict} generate strict, ${lenient} generate with --lenient`);
  }
  return [...lines, '', ...counts.map((c) => `- ${c}`)].join('\n');
}
