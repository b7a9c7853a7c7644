/**
 * IEC 60751 platinum resistance thermometers: the Callendar–Van Dusen equation
 *   R(t) = R0·[1 + A·t + B·t² + C·(t − 100 °C)·t³]   (the C term only below 0 °C)
 * in both directions, its slope, and a least-squares fit of R0, A, B (and C when the table
 * reaches below 0 °C) to a certificate's table of reference temperature against resistance.
 */

export interface CvdCoefficients {
  R0: number;
  A: number;
  B: number;
  /** Only used below 0 °C; 0 when the sensor was characterised above 0 °C only. */
  C: number;
}

/** IEC 60751:2022 nominal coefficients (Pt100: R0 = 100 Ω). */
export const IEC_60751 = { A: 3.9083e-3, B: -5.775e-7, C: -4.183e-12 } as const;

export function cvdResistance(k: CvdCoefficients, t: number): number {
  const c = t < 0 ? k.C * (t - 100) * t ** 3 : 0;
  return k.R0 * (1 + k.A * t + k.B * t * t + c);
}

/** dR/dt in Ω/°C. */
export function cvdSlope(k: CvdCoefficients, t: number): number {
  const c = t < 0 ? k.C * (4 * t ** 3 - 300 * t * t) : 0;
  return k.R0 * (k.A + 2 * k.B * t + c);
}

/** t in °C for a resistance: the quadratic's root at and above 0 °C, Newton below it. */
export function cvdTemperature(k: CvdCoefficients, r: number): number {
  const q = r / k.R0 - 1;
  let t = k.B === 0 ? q / k.A : (-k.A + Math.sqrt(k.A * k.A + 4 * k.B * q)) / (2 * k.B);
  if (!Number.isFinite(t)) throw new RangeError(`${r} Ω is beyond the Callendar–Van Dusen curve (R0 ${k.R0} Ω)`);
  if (t >= 0 || k.C === 0) return t;
  for (let i = 0; i < 20; i++) {
    const step = (cvdResistance(k, t) - r) / cvdSlope(k, t);
    t -= step;
    if (Math.abs(step) < 1e-12) break;
  }
  return t;
}

export interface CvdFit {
  coefficients: CvdCoefficients;
  /** R(fitted, tᵢ) − Rᵢ per point, Ω, and as temperature, °C. */
  residuals: { t: number; r: number; ohm: number; kelvin: number }[];
  /** Largest |residual| as temperature. */
  maxResidualK: number;
}

/** Solves the normal equations of a small linear least-squares problem (Gaussian elimination). */
function leastSquares(rows: number[][], y: number[]): number[] {
  const n = rows[0]!.length;
  const m = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)),
    rows.reduce((s, r, k) => s + r[i]! * y[k]!, 0),
  ]);
  for (let col = 0; col < n; col++) {
    const pivot = m.slice(col).reduce((best, row, i) => (Math.abs(row[col]!) > Math.abs(m[best]![col]!) ? col + i : best), col);
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    if (Math.abs(m[col]![col]!) < 1e-300) throw new RangeError('the table does not determine the coefficients (too few distinct points)');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Fits R0, A, B (and C when a point lies below 0 °C) to (t, R) pairs. R is linear in
 * (R0, R0·A, R0·B, R0·C), so this is ordinary least squares, no iteration.
 */
export function fitCvd(points: readonly { t: number; r: number }[]): CvdFit {
  const withC = points.some((p) => p.t < 0);
  const need = withC ? 4 : 3;
  if (points.length < need)
    throw new RangeError(
      `a Callendar–Van Dusen fit needs at least ${need} points${withC ? ' (the table reaches below 0 °C, so C is fitted too)' : ''}, got ${points.length}`,
    );
  const rows = points.map(({ t }) => (withC ? [1, t, t * t, t < 0 ? (t - 100) * t ** 3 : 0] : [1, t, t * t]));
  const [r0, r0a, r0b, r0c = 0] = leastSquares(
    rows,
    points.map((p) => p.r),
  );
  const coefficients = { R0: r0!, A: r0a! / r0!, B: r0b! / r0!, C: r0c / r0! };
  const residuals = points.map(({ t, r }) => {
    const ohm = cvdResistance(coefficients, t) - r;
    return { t, r, ohm, kelvin: ohm / cvdSlope(coefficients, t) };
  });
  return { coefficients, residuals, maxResidualK: Math.max(...residuals.map((x) => Math.abs(x.kelvin))) };
}
