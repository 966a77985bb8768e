import type { Catalog } from '../model/types.js';
import { scaffoldHeader } from '../write/banner.js';

/** Prefix a scaffold file with the scaffold header (the writer recognises stubs by it). */
export function withScaffoldHeader(catalog: Catalog, content: string): string {
  return `${scaffoldHeader(catalog.sourcePath)}\n${content}`;
}
