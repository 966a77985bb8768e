/**
 * Output formats of `gen diff`: a grouped, coloured table for terminals, stable JSON for tools
 * (schemaVersion 1, documented in docs/diff.md) and Markdown for pull-request comments.
 */
import type { SourceLocation } from '../model/types.js';
import { SEVERITIES, type Change, type ChangeSeverity, type DiffResult } from './types.js';

export interface FormatContext {
  base: string;
  head: string;
  failOn: ChangeSeverity;
  failed: boolean;
}

const TITLE: Record<ChangeSeverity, string> = { breaking: 'Breaking', 'non-breaking': 'Non-breaking', info: 'Info' };
const COLOR: Record<ChangeSeverity, string> = { breaking: '31', 'non-breaking': '33', info: '36' };

const at = (l?: SourceLocation): string => (l ? `${l.file}:${l.line}:${l.column}` : '-');
const subjectOf = (c: Change): string => (c.path ? `${c.subject}: ${c.path}` : c.kind === 'event' ? c.subject : `${c.kind} ${c.subject}`);

export function summaryLine(r: DiffResult): string {
  return `${r.summary.breaking} breaking, ${r.summary['non-breaking']} non-breaking, ${r.summary.info} info`;
}

/** The terminal table: one block per severity, one row per change with both locations under it. */
export function formatText(r: DiffResult, ctx: FormatContext, paint: (code: string, s: string) => string): string {
  const lines = [`gen diff ${ctx.base} → ${ctx.head}`];
  if (!r.changes.length) return [...lines, '', 'No changes.'].join('\n');
  for (const sev of SEVERITIES) {
    const group = r.changes.filter((c) => c.severity === sev);
    if (!group.length) continue;
    lines.push('', paint(COLOR[sev], `${TITLE[sev].toUpperCase()} (${group.length})`));
    const w1 = Math.min(60, Math.max(...group.map((c) => subjectOf(c).length)));
    const w2 = Math.max(...group.map((c) => c.rule.length));
    for (const c of group) {
      const mode = c.compatibility && c.compatibility !== 'BACKWARD' ? ` [${c.compatibility}]` : '';
      lines.push(`  ${subjectOf(c).padEnd(w1)}  ${paint(COLOR[sev], c.rule.padEnd(w2))}  ${c.message}${mode}`);
      lines.push(paint('2', `  ${' '.repeat(w1)}  ${' '.repeat(w2)}  ${at(c.base)} → ${at(c.head)}`));
    }
  }
  lines.push('', paint(ctx.failed ? '31' : '32', `${summaryLine(r)}${ctx.failed ? ` (fails on ${ctx.failOn})` : ''}`));
  return lines.join('\n');
}

const loc = (l?: SourceLocation): Record<string, unknown> | null => (l ? { file: l.file, line: l.line, column: l.column, pointer: l.pointer } : null);

/** `--format json`: a stable document; fields are always present (null when not applicable). */
export function formatJson(r: DiffResult, ctx: FormatContext): string {
  const doc = {
    schemaVersion: 1,
    base: ctx.base,
    head: ctx.head,
    failOn: ctx.failOn,
    failed: ctx.failed,
    summary: { breaking: r.summary.breaking, nonBreaking: r.summary['non-breaking'], info: r.summary.info },
    changes: r.changes.map((c) => ({
      rule: c.rule,
      severity: c.severity,
      kind: c.kind,
      subject: c.subject,
      path: c.path ?? null,
      message: c.message,
      compatibility: c.compatibility ?? null,
      base: loc(c.base),
      head: loc(c.head),
    })),
  };
  return JSON.stringify(doc, null, 2);
}

const md = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => '`' + s.replace(/`/g, "'") + '`';

/** `--format markdown`: a PR comment; breaking changes first, info folded away. */
export function formatMarkdown(r: DiffResult, ctx: FormatContext): string {
  const icon = r.summary.breaking ? '❌' : r.summary['non-breaking'] ? '⚠️' : '✅';
  const out = [`### ${icon} Catalog diff: ${summaryLine(r)}`, '', `${code(ctx.base)} → ${code(ctx.head)}`];
  if (!r.changes.length) return [...out, '', 'No changes.'].join('\n');
  for (const sev of SEVERITIES) {
    const group = r.changes.filter((c) => c.severity === sev);
    if (!group.length) continue;
    const table = [
      '| where | rule | change | base | head |',
      '|---|---|---|---|---|',
      ...group.map((c) => {
        const mode = c.compatibility ? ` (${c.compatibility})` : '';
        return `| ${md(code(subjectOf(c)))} | ${md(code(c.rule))} | ${md(c.message + mode)} | ${md(code(at(c.base)))} | ${md(code(at(c.head)))} |`;
      }),
    ];
    if (sev === 'info') out.push('', `<details><summary>${TITLE[sev]} (${group.length})</summary>`, '', ...table, '', '</details>');
    else out.push('', `#### ${TITLE[sev]} (${group.length})`, '', ...table);
  }
  if (ctx.failed) out.push('', `This check fails on ${ctx.failOn} changes (see docs/diff.md).`);
  return out.join('\n');
}
