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
  /** Where the last locate() put its value: segment index and weight (scratch for the hot path). */
  at: number;
  w: number;
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
    at: 0,
    w: 0,
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
 * Finds v in the table once, for both E and u: linear between the two points around it; never
 * extrapolated: beyond the outermost points the nearest point's values hold (a straight line
 * through the last two points could take u to 0); exactly on a point, that point's values (a
 * neighbour without U must not make it NaN).
 */
function locate(t: PreparedTable, v: number): void {
  const xs = t.x;
  const n = xs.length;
  t.w = 0;
  if (n === 1 || v <= t.min) {
    t.at = 0;
    return;
  }
  if (v >= t.max) {
    t.at = n - 1;
    return;
  }
  const i = segment(t, v);
  const x0 = xs[i]!;
  const x1 = xs[i + 1]!;
  if (v === x1) t.at = i + 1;
  else {
    t.at = i;
    if (v !== x0) t.w = (v - x0) / (x1 - x0);
  }
}

function located(t: PreparedTable, ys: Float64Array): number {
  const i = t.at;
  return t.w === 0 ? ys[i]! : ys[i]! + (ys[i + 1]! - ys[i]!) * t.w;
}

/** E(v): the error at indication v, linear between the table's points, held beyond them. */
export function errorAt(t: PreparedTable, v: number): number {
  locate(t, v);
  return located(t, t.error);
}

/**
 * The certificate's standard uncertainty at v, linear between points, held beyond the outermost
 * ones; NaN where a point involved states no U (that region has no certificate uncertainty).
 */
export function certificateUAt(t: PreparedTable, v: number): number {
  locate(t, v);
  return located(t, t.u);
}

/** certificateUAt at the v errorAt was last called with (one table scan per reading). */
export function certificateUAtLast(t: PreparedTable): number {
  return located(t, t.u);
}
