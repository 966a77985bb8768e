export { WriteError } from './errors.js';
export {
  BANNER_MARKER,
  SCAFFOLD_MARKER,
  MARKER_MAX_CHARS,
  MARKER_MAX_LINES,
  addBanner,
  bannerFor,
  hasBanner,
  hasScaffoldMarker,
  jsonBannerComment,
  sanitizeForComment,
  scaffoldHeader,
} from './banner.js';
export { assertRealParentInside, assertSafeRelativePath, assertUniquePaths, collisionKey, resolveInside } from './paths.js';
export { DEFAULT_SCAFFOLD_PATTERN, planChanges, planWrite } from './plan.js';
export type { PlanAction, PlanEntry, PlanOptions, WritePlan } from './plan.js';
export { applyPlan, conflictsOf, driftOf, formatPlan, stagePlan, summarize, STAGING_PREFIX } from './apply.js';
export type { ApplyOptions, StagedWrites, WriteSummary } from './apply.js';
