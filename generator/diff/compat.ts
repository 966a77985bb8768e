/**
 * Schema-registry compatibility. A payload change either lets the new schema accept more than the old
 * one (`widen`), less (`narrow`), both (`both`: some old data rejected and some new data unreadable), or
 * neither (`compatible`: readers on both sides keep working), or it is only worth knowing (`info`).
 *
 * BACKWARD: new readers must read old data, so narrowing breaks. FORWARD: old readers must read new
 * data, so widening breaks. FULL: both. NONE: nothing is checked; every change is info.
 */
import type { CompatibilityMode } from '../model/types.js';
import type { ChangeSeverity } from './types.js';

export type Effect = 'widen' | 'narrow' | 'both' | 'compatible' | 'info';

export function severityFor(effect: Effect, mode: CompatibilityMode): ChangeSeverity {
  if (effect === 'info' || mode === 'NONE') return 'info';
  if (effect === 'compatible') return 'non-breaking';
  if (effect === 'both' || mode === 'FULL') return 'breaking';
  if (mode === 'BACKWARD') return effect === 'narrow' ? 'breaking' : 'non-breaking';
  return effect === 'widen' ? 'breaking' : 'non-breaking';
}

/** Combine two effects of one change (e.g. a required field added to a closed object). */
export function combine(a: Effect, b: Effect): Effect {
  if (a === b) return a;
  if (a === 'info' || a === 'compatible') return b;
  if (b === 'info' || b === 'compatible') return a;
  return 'both';
}
