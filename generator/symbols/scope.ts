/**
 * Export scopes: names that end up side by side (the root barrel's `export *`s, one consumer group's namespace, the
 * class names of a tree) must be distinct. A catalog-derived name that is taken gets the next deterministic
 * candidate (reported as `name-adjusted` info); when every candidate is taken it is a located `name-collision`.
 */
import type { Diagnostic, SourceLocation } from '../model/types.js';

interface Owner {
  owner: string;
  loc?: SourceLocation;
}

const where = (loc?: SourceLocation): string => (loc ? ` (${loc.file}:${loc.line}:${loc.column})` : '');

export class Scope {
  private readonly taken = new Map<string, Owner>();

  /**
   * @param label what the scope is, for messages, e.g. `the root index.ts`
   * @param caseInsensitive compare names ignoring case (file paths: case-insensitive file systems)
   */
  constructor(
    readonly label: string,
    private readonly caseInsensitive = false,
  ) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  owner(name: string): Owner | undefined {
    return this.taken.get(this.key(name));
  }

  /** Take `name` for `owner` unconditionally (fixed names: the runtime's exports, generated helpers). */
  reserve(name: string, owner: string): void {
    if (!this.taken.has(this.key(name))) this.taken.set(this.key(name), { owner });
  }

  /** Take names already known to be free (see `claim`). */
  take(names: readonly string[], owner: Owner): void {
    for (const n of names) this.taken.set(this.key(n), owner);
  }
}

/** What is being named: for messages and the diagnostic's location. */
export interface Claimant {
  /** e.g. `event "order.created"` */
  owner: string;
  loc?: SourceLocation;
}

/**
 * Claims the names `make(base)` in every scope, for the first base in `bases` whose names are all free there. The
 * first base is the preferred one; using another is reported as info. Returns the base used, or undefined (after a
 * located error) when none is free.
 */
export function claim(
  scopes: readonly Scope[],
  bases: readonly string[],
  make: (base: string) => readonly string[],
  who: Claimant,
  diagnostics: Diagnostic[],
): string | undefined {
  const located = who.loc ? { location: who.loc } : {};
  let firstClash: { name: string; scope: Scope; owner: Owner } | undefined;
  for (const base of bases) {
    const names = make(base);
    let clash: { name: string; scope: Scope; owner: Owner } | undefined;
    for (const scope of scopes) {
      for (const name of names) {
        const owner = scope.owner(name);
        if (owner !== undefined && owner.owner !== who.owner) clash ??= { name, scope, owner };
      }
    }
    if (clash === undefined) {
      for (const scope of scopes) scope.take(names, who.loc ? { owner: who.owner, loc: who.loc } : { owner: who.owner });
      if (firstClash !== undefined) {
        diagnostics.push({
          severity: 'info',
          rule: 'name-adjusted',
          message: `${who.owner} is named "${base}" in generated code: "${firstClash.name}" in ${firstClash.scope.label} is taken by ${firstClash.owner.owner}${where(firstClash.owner.loc)}`,
          ...located,
        });
      }
      return base;
    }
    firstClash ??= clash;
  }
  const c = firstClash as { name: string; scope: Scope; owner: Owner };
  diagnostics.push({
    severity: 'error',
    rule: 'name-collision',
    message: `${who.owner} and ${c.owner.owner}${where(c.owner.loc)} both become "${c.name}" in ${c.scope.label}; rename one of them`,
    ...located,
  });
  return undefined;
}
