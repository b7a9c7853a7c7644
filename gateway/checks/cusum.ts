/**
 * A tabular CUSUM (ISO 7870-4) on standardised check results: it accumulates small, persistent
 * departures that a Shewhart chart misses, the signature of slow drift.
 *   C⁺ᵢ = max(0, C⁺ᵢ₋₁ + zᵢ − k),  C⁻ᵢ = max(0, C⁻ᵢ₋₁ − zᵢ − k),  signal when either > h
 * with zᵢ = (xᵢ − centre)/σ, k the reference value (half the shift to detect, in σ) and h the
 * decision interval (4 or 5 σ are usual).
 */
import type { Limits } from './control-chart.js';

export interface CusumOptions {
  k: number;
  h: number;
}

export const CUSUM_DEFAULTS: CusumOptions = { k: 0.5, h: 5 };

export interface CusumState {
  high: number;
  low: number;
}

export interface CusumSignal {
  /** Index of the first result at which C⁺ or C⁻ exceeded h. */
  at: number;
  direction: 'up' | 'down';
  value: number;
}

export function cusumStep(state: CusumState, z: number, opts: CusumOptions): CusumState {
  return { high: Math.max(0, state.high + z - opts.k), low: Math.max(0, state.low - z - opts.k) };
}

/** Runs the CUSUM over the series; returns the sums after each result and the first signal. */
export function runCusum(values: readonly number[], limits: Limits, opts: CusumOptions = CUSUM_DEFAULTS): { path: CusumState[]; signal?: CusumSignal } {
  let state: CusumState = { high: 0, low: 0 };
  const path: CusumState[] = [];
  let signal: CusumSignal | undefined;
  values.forEach((v, i) => {
    state = cusumStep(state, (v - limits.centre) / limits.sigma, opts);
    path.push(state);
    if (!signal && (state.high > opts.h || state.low > opts.h)) {
      signal = state.high > opts.h ? { at: i, direction: 'up', value: state.high } : { at: i, direction: 'down', value: state.low };
    }
  });
  return { path, signal };
}

/**
 * For a step of `shift` σ (shift > k) without noise, the CUSUM grows by shift − k per result, so
 * it signals at the first n with n·(shift − k) > h. For a drift of d σ per result starting at 0,
 * it grows by i·d − k at result i (once positive).
 */
export function stepDetectionDelay(shift: number, opts: CusumOptions = CUSUM_DEFAULTS): number {
  if (!(shift > opts.k)) return Infinity;
  return Math.floor(opts.h / (shift - opts.k)) + 1;
}

/**
 * For a drift of `perResult` σ per result starting from the centre (zᵢ = i·d for result i = 1,
 * 2, …) without noise: the number of the result at which the CUSUM signals. C⁺ stays 0 while
 * i·d ≤ k, then grows by i·d − k per result; the first n with C⁺ₙ > h is the answer.
 */
export function driftDetectionDelay(perResult: number, opts: CusumOptions = CUSUM_DEFAULTS): number {
  if (!(perResult > 0)) return Infinity;
  let c = 0;
  for (let i = 1; ; i++) {
    c = Math.max(0, c + i * perResult - opts.k);
    if (c > opts.h) return i;
  }
}
