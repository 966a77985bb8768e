/** Locating nodes of a diff side that the model does not point at (keywords, parents, roots). */
import { joinPointer } from '../load/index.js';
import type { SourceLocation } from '../model/types.js';
import type { DiffSide } from './types.js';

/**
 * `loc` + segments in the same file; the deepest existing ancestor when the keyword is absent.
 * Without `loc`, the side's main file at the given segments (from the root).
 */
export function locateIn(side: DiffSide, loc: SourceLocation | undefined, ...segments: string[]): SourceLocation | undefined {
  const fileName = loc?.file ?? side.mainFile;
  const file = side.files.get(fileName);
  if (!file) return loc;
  const pointer = joinPointer(loc?.pointer ?? '', ...segments);
  const { line, column } = file.locate(pointer);
  return { file: fileName, line, column, pointer };
}

/** The main file at a pointer from the root (e.g. `/channels`), for things with no counterpart. */
export function rootAt(side: DiffSide, ...segments: string[]): SourceLocation | undefined {
  return locateIn(side, undefined, ...segments);
}
