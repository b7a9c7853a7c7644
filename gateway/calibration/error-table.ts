import type { ErrorTablePoint } from './record.js';

/**
 * The certificate's error table as a function of the indication, prepared once per record:
 * points sorted by indication, with the standard uncertainty (U/k) of each point.
 */
export interface PreparedTable {
  x: Float64Array;
  error: Float64Array;
  /** Standard uncertainty of each point; NaN where the certificate gives none. */
  u: Float64Array;
  min: number;
  max: number;
}

export function prepareTable(points: readonly ErrorTablePoint[]): PreparedTable | null {
  if (points.length === 0) return null;
  const sorted = [...points].sort((a, b) => a.indication - b.indication);
  const n = sorted.length;
  const table: PreparedTable = {
    x: new Float64Array(n),
    error: new Float64Array(n),
    u: new Float64Array(n),
    min: sorted[0]!.indication,
    max: sorted[n - 1]!.indication,
  };
  sorted.forEach((p, i) => {
    table.x[i] = p.indication;
    table.error[i] = p.error;
    table.u[i] = p.U !== undefined ? p.U / (p.k ?? 2) : Number.NaN;
  });
  return table;
}

/** Index i such that x[i] ≤ v ≤ x[i+1] (clamped to the ends); tables are short, a scan is fastest. */
function segment(t: PreparedTable, v: number): number {
  const n = t.x.length;
  if (n < 2 || v <= t.x[0]!) return 0;
  for (let i = 0; i < n - 1; i++) if (v <= t.x[i + 1]!) return i;
  return n - 2;
}

/**
 * Linear between the two points around v; never extrapolated: beyond the outermost points the
 * nearest point's value holds (a straight line through the last two points could take u to 0).
 */
function lerp(t: PreparedTable, ys: Float64Array, v: number): number {
  const xs = t.x;
  if (xs.length === 1 || v <= t.min) return ys[0]!;
  if (v >= t.max) return ys[xs.length - 1]!;
  const i = segment(t, v);
  const x0 = xs[i]!;
  const x1 = xs[i + 1]!;
  // Exactly on a point, that point's value: a neighbour without U must not make it NaN.
  if (v === x0) return ys[i]!;
  if (v === x1) return ys[i + 1]!;
  return ys[i]! + ((ys[i + 1]! - ys[i]!) * (v - x0)) / (x1 - x0);
}

/** E(v): the error at indication v, linear between the table's points, held beyond them. */
export function errorAt(t: PreparedTable, v: number): number {
  return lerp(t, t.error, v);
}

/**
 * The certificate's standard uncertainty at v, linear between points, held beyond the outermost
 * ones; NaN where a point involved states no U (that region has no certificate uncertainty).
 */
export function certificateUAt(t: PreparedTable, v: number): number {
  return lerp(t, t.u, v);
}
