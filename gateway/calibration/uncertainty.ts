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

/**
 * A reported uncertainty, rounded UP to two significant digits (GUM 7.2.6: never understate it):
 * 0.0301386 → 0.031, 0.12 → 0.12, 1234 → 1300. Readings keep u unrounded: it is an input to
 * further computation, where GUM asks to keep the digits.
 */
export function roundUncertaintyUp(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x;
  const p = 1 - Math.floor(Math.log10(x));
  // Scaled to two digits; the slack keeps 0.12 (scaled 12.000000000000002) from becoming 0.13.
  const scaled = Math.ceil(x * 10 ** p * (1 - 1e-12));
  return p >= 0 ? scaled / 10 ** p : scaled * 10 ** -p;
}
