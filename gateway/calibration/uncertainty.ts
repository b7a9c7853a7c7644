/**
 * GUM arithmetic: standard uncertainties combine as the root sum of squares; expanded
 * uncertainties (U = k·u) are never added, they are turned back into standard ones first.
 */

/** A rectangular distribution of half-width a has standard uncertainty a/√3; half a digit is a = res/2. */
export function resolutionU(resolution: number): number {
  return resolution / (2 * Math.sqrt(3));
}

export function standardFromExpanded(U: number, k: number): number {
  return U / k;
}

/** Root sum of squares of standard uncertainties, skipping components that are not known (NaN). */
export function combine(components: readonly number[]): number {
  let sum = 0;
  for (const c of components) if (Number.isFinite(c)) sum += c * c;
  return Math.sqrt(sum);
}

/** Coverage factor readings report: k = 2 (about 95 % for a normal distribution). */
export const REPORTED_K = 2;
