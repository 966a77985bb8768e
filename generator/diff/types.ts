/**
 * `gen diff` model: one `Change` per difference between two catalogs, classified for CI.
 * Severity comes from the rule and, for payload rules, from the event's compatibility mode.
 */
import type { Catalog, CompatibilityMode, SourceLocation } from '../model/types.js';
import type { SourceFile } from '../load/index.js';

export type ChangeSeverity = 'breaking' | 'non-breaking' | 'info';

/** Ordered from most to least severe (used for sorting and `--fail-on`). */
export const SEVERITIES: readonly ChangeSeverity[] = ['breaking', 'non-breaking', 'info'];

/** What a change is about. */
export type SubjectKind = 'catalog' | 'topic' | 'event' | 'group';

export interface Change {
  /** Stable rule id, e.g. `field-removed` (see docs/diff.md). */
  rule: string;
  severity: ChangeSeverity;
  kind: SubjectKind;
  /** Topic name, event type, group id, or the catalog title. */
  subject: string;
  /** Where inside the subject, e.g. `payload.shippingAddress.zip` (payload/header rules only). */
  path?: string;
  message: string;
  /** The compatibility mode the severity was decided under (payload/header rules only). */
  compatibility?: CompatibilityMode;
  /** Location in the base catalog (the node itself, or its closest parent when it was added). */
  base?: SourceLocation;
  /** Location in the head catalog (the node itself, or its closest parent when it was removed). */
  head?: SourceLocation;
}

/** One side of a diff: the model plus the files, to locate nodes the model does not point at. */
export interface DiffSide {
  catalog: Catalog;
  /** Loaded files by display path (the `file` of every SourceLocation of this side). */
  files: Map<string, SourceFile>;
  /** The main file's display path. */
  mainFile: string;
}

export interface DiffResult {
  changes: Change[];
  summary: Record<ChangeSeverity, number>;
}
