/**
 * Performance statistics of proficiency testing and comparisons (ISO 13528:2022, ISO/IEC
 * 17043): En, z, z′ and ζ, with the verdict bands each is judged by.
 */

export interface Result {
  /** The participant's value and its expanded uncertainty U with coverage factor k. */
  value: number;
  U: number;
  k: number;
}

export type Verdict = 'satisfactory' | 'questionable' | 'unsatisfactory';

/**
 * En = (x − X) / √(U_x² + U_X²), expanded uncertainties (ISO 13528 9.7). When the participant
 * contributed to a weighted-mean reference value the two are correlated and the denominator is
 * √(U_x² − U_X²) (Cox 2002): pass `correlated`.
 */
export function enNumber(x: Result, ref: Result, correlated = false): number {
  // As ISO 13528 states it, on the expanded uncertainties the participants reported.
  const variance = correlated ? x.U * x.U - ref.U * ref.U : x.U * x.U + ref.U * ref.U;
  if (!(variance > 0)) throw new RangeError(`En: no uncertainty to judge the difference by (U_x ${x.U}, U_X ${ref.U}${correlated ? ', correlated' : ''})`);
  return (x.value - ref.value) / Math.sqrt(variance);
}

/** z = (x − X) / σ_pt (ISO 13528 9.4). */
export function zScore(x: number, assigned: number, sigmaPt: number): number {
  if (!(sigmaPt > 0)) throw new RangeError(`z: σ_pt must be > 0, got ${sigmaPt}`);
  return (x - assigned) / sigmaPt;
}

/** z′ = (x − X) / √(σ_pt² + u(X)²): when u(X) is not negligible against σ_pt (ISO 13528 9.5). */
export function zPrimeScore(x: number, assigned: number, sigmaPt: number, uAssigned: number): number {
  const d = Math.sqrt(sigmaPt * sigmaPt + uAssigned * uAssigned);
  if (!(d > 0)) throw new RangeError('z′: σ_pt and u(X) are both 0');
  return (x - assigned) / d;
}

/** ζ = (x − X) / √(u_x² + u_X²), standard uncertainties (ISO 13528 9.6); − for a correlated X, as En. */
export function zetaScore(x: Result, ref: Result, correlated = false): number {
  const ux2 = (x.U / x.k) ** 2;
  const uX2 = (ref.U / ref.k) ** 2;
  return (x.value - ref.value) / Math.sqrt(correlated ? ux2 - uX2 : ux2 + uX2);
}

export function judgeEn(en: number): Verdict {
  return Math.abs(en) <= 1 ? 'satisfactory' : 'unsatisfactory';
}

/** |z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory (also for z′ and ζ). */
export function judgeZ(z: number): Verdict {
  const a = Math.abs(z);
  return a <= 2 ? 'satisfactory' : a < 3 ? 'questionable' : 'unsatisfactory';
}
