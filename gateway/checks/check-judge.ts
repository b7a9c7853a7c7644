/**
 * The verdict of one check result, by the audit issue's decision rules: En for a check standard
 * with an uncertainty, |E| ≤ MPE for one judged against a permissible error, and the redundancy
 * rule |x1 − x2| ≤ k·√(u1² + u2²) for two channels measuring one quantity.
 */
export type CheckRule = 'En' | 'MPE' | 'redundancy';

export interface Judgement {
  rule: CheckRule;
  /** En, |E|, or |x1 − x2|. */
  score: number;
  /** What the score is compared with: 1 for En, the MPE, or k·√(u1² + u2²). */
  limit: number;
  within: boolean;
}

/** En = |x − x_ref| / √(U² + U_ref²) ≤ 1, expanded uncertainties. */
export function judgeEn(measured: number, U: number, reference: number, referenceU: number): Judgement {
  const d = Math.sqrt(U * U + referenceU * referenceU);
  if (!(d > 0)) throw new RangeError('En needs an uncertainty: neither the reading nor the check standard has one');
  const score = Math.abs(measured - reference) / d;
  return { rule: 'En', score, limit: 1, within: score <= 1 };
}

export function judgeMpe(measured: number, reference: number, mpe: number): Judgement {
  const score = Math.abs(measured - reference);
  return { rule: 'MPE', score, limit: mpe, within: score <= mpe };
}

/** u1, u2: standard uncertainties of the two readings. */
export function judgeRedundancy(x1: number, u1: number, x2: number, u2: number, k: number): Judgement {
  const limit = k * Math.sqrt(u1 * u1 + u2 * u2);
  const score = Math.abs(x1 - x2);
  return { rule: 'redundancy', score, limit, within: score <= limit };
}
