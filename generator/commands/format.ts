/**
 * Output formatting shared by the commands and the cache's fast path (`cache/fast.ts`): no dependencies, so the
 * fast path can print exactly what a cold run prints without loading the generator.
 */
import type { Diagnostic } from '../model/types.js';

export function paint(io: { color: boolean }, code: string, s: string): string {
  return io.color ? `\u001b[${code}m${s}\u001b[0m` : s;
}

export function formatDiagnostic(d: Diagnostic, io: { color: boolean }): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}` : '(catalog)';
  const sev = d.severity === 'error' ? paint(io, '31', 'error') : d.severity === 'warning' ? paint(io, '33', 'warning') : paint(io, '36', 'info');
  return `${where}  ${sev}  ${d.rule}  ${d.message}`;
}

/** The warning a run prints for a stub whose event left the catalog. */
export function orphanStubLine(out: string, rel: string, io: { color: boolean }): string {
  return `${out}/${rel}  ${paint(io, '33', 'warning')}  orphan-stub  its event is no longer in the catalog; delete it when you no longer need it`;
}

/** `gen events --check` when nothing would change. */
export function upToDateLine(out: string, catalog: string, files: number, ms: number): string {
  return `eventgen: ${out}/ is up to date with ${catalog} (${files} files checked, ${ms} ms)`;
}

export interface SummaryCounts {
  written: number;
  unchanged: number;
  removed: number;
  stubsCreated: number;
  stubsKept: number;
  orphanStubs: number;
}

/** The last line of `gen events` (and `--dry-run`). */
export function summaryLine(head: string, s: SummaryCounts, ms: number): string {
  return `eventgen: ${head} ${s.written} written, ${s.unchanged} unchanged, ${s.removed} removed, ${s.stubsCreated} stubs created, ${s.stubsKept} stubs kept, ${s.orphanStubs} orphan stubs (${ms} ms)`;
}

/** Code targets of `gen events --target`. */
export const TARGETS = ['plain', 'nestjs'] as const;

/** Services `--with` accepts. */
export const AVAILABLE_SERVICES = ['gateway', 'live', 'outbox', 'sagas'] as const;

/** Keys allowed in eventgen.config.(json|yaml); commands may read more of them. */
export const CONFIG_KEYS = ['catalog', 'out', 'target', 'docs', 'lenient', 'with'];
