import path from 'node:path';
import type { LoadedCatalog, SourceFile } from '../load/index.js';
import { joinPointer, locationOf, valueAt } from '../load/source.js';
import type { Diagnostic, Severity, SourceLocation } from './types.js';

/** A position in the loaded catalog: which file, which JSON pointer. */
export interface At {
  file: SourceFile;
  pointer: string;
}

/** A value read from the catalog together with where it was read. */
export interface Located<T = unknown> {
  value: T;
  at: At;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The model builder's view of the loaded files: `$ref` resolution across files, locations and
 * diagnostics. Pure: it only reads the in-memory `LoadedCatalog`.
 */
export class ModelContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly loaded: LoadedCatalog) {}

  get main(): At {
    return { file: this.loaded.main, pointer: '' };
  }

  loc(at: At): SourceLocation {
    return locationOf(at.file, at.pointer);
  }

  report(severity: Severity, rule: string, message: string, at?: At): void {
    this.diagnostics.push(at ? { severity, rule, message, location: this.loc(at) } : { severity, rule, message });
  }

  child(at: At, ...segments: Array<string | number>): At {
    return { file: at.file, pointer: joinPointer(at.pointer, ...segments) };
  }

  /** Read a value by pointer in a file (no `$ref` following; own properties only). */
  read(at: At): unknown {
    return valueAt(at.file.data, at.pointer);
  }

  /** Where a `$ref` written at `at` points. Returns undefined (and reports) when it cannot be resolved. */
  refTarget(ref: string, at: At): At | undefined {
    const [filePart = '', fragment = ''] = ref.split('#', 2) as [string?, string?];
    let file = at.file;
    if (filePart) {
      const abs = path.resolve(path.dirname(at.file.absPath), filePart);
      const target = this.loaded.files.get(abs);
      if (!target || target.absPath !== abs) {
        this.report('error', 'ref-unresolved', `cannot resolve $ref "${ref}"`, at);
        return undefined;
      }
      file = target;
    }
    const target: At = { file, pointer: fragment ? (fragment.startsWith('/') ? fragment : '/' + fragment) : '' };
    if (this.read(target) === undefined) {
      this.report('error', 'ref-unresolved', `$ref "${ref}" points to nothing`, at);
      return undefined;
    }
    return target;
  }

  /** Follow `$ref` chains from `at`; returns the final value and its location. */
  deref(at: At): Located | undefined {
    let cur = at;
    for (let hops = 0; hops < 64; hops++) {
      const value = this.read(cur);
      if (isRecord(value) && typeof value.$ref === 'string') {
        const next = this.refTarget(value.$ref, this.child(cur, '$ref'));
        if (!next) return undefined;
        cur = next;
        continue;
      }
      return { value, at: cur };
    }
    this.report('error', 'ref-cycle', 'circular $ref chain', at);
    return undefined;
  }

  /** A stable id for a location: `<file>#<pointer>` (file relative to the entry file's directory). */
  idOf(at: At): string {
    if (at.file === this.loaded.main) return '#' + at.pointer;
    const rel = path.relative(path.dirname(this.loaded.main.absPath), at.file.absPath).split(path.sep).join('/');
    return `${rel}#${at.pointer}`;
  }
}
