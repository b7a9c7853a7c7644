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

function lerp(xs: Float64Array, ys: Float64Array, i: number, v: number): number {
  if (xs.length === 1) return ys[0]!;
  const x0 = xs[i]!;
  const x1 = xs[i + 1]!;
  if (x1 === x0) return ys[i]!;
  return ys[i]! + ((ys[i + 1]! - ys[i]!) * (v - x0)) / (x1 - x0);
}

/** E(v): the error at indication v, linear between the table's points (v inside the table). */
export function errorAt(t: PreparedTable, v: number): number {
  return lerp(t.x, t.error, segment(t, v), v);
}

/** The certificate's standard uncertainty at v, linear between points; NaN when not given. */
export function certificateUAt(t: PreparedTable, v: number): number {
  return lerp(t.x, t.u, segment(t, v), v);
}
