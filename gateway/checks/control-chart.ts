/**
 * Control charts for a series of check results (ISO 7870-2 Shewhart individuals chart): the
 * centre line and limits from the first N results (moving-range estimate of σ) or set by hand,
 * and the run rules that say a process has moved: the four Western Electric rules and Nelson's
 * trend rule.
 */

export interface Limits {
  centre: number;
  /** σ estimate: the mean moving range / d2 (1.128 for ranges of two), or given. */
  sigma: number;
}

export type RuleId = 'WE1' | 'WE2' | 'WE3' | 'WE4' | 'TREND';

export const RULES: Readonly<Record<RuleId, string>> = {
  WE1: 'one point beyond 3σ',
  WE2: 'two of three consecutive points beyond 2σ on the same side',
  WE3: 'four of five consecutive points beyond 1σ on the same side',
  WE4: 'eight consecutive points on the same side of the centre line',
  TREND: 'six consecutive points steadily increasing or decreasing',
};

export interface RuleHit {
  rule: RuleId;
  /** Index of the point at which the rule tripped (the last of its window). */
  at: number;
  description: string;
}

const D2 = 1.128;

export function limitsFrom(values: readonly number[]): Limits {
  if (values.length < 2) throw new RangeError(`control limits need at least 2 results, got ${values.length}`);
  const centre = values.reduce((s, v) => s + v, 0) / values.length;
  let mr = 0;
  for (let i = 1; i < values.length; i++) mr += Math.abs(values[i]! - values[i - 1]!);
  const sigma = mr / (values.length - 1) / D2;
  if (!(sigma > 0)) throw new RangeError('control limits: the first results do not vary (σ = 0); set the limits by hand');
  return { centre, sigma };
}

/** Counts of the last `window` points beyond `kSigma` on each side. */
function beyond(z: readonly number[], end: number, window: number, kSigma: number): { above: number; below: number } {
  let above = 0;
  let below = 0;
  for (let i = Math.max(0, end - window + 1); i <= end; i++) {
    if (z[i]! > kSigma) above++;
    else if (z[i]! < -kSigma) below++;
  }
  return { above, below };
}

function sameSide(z: readonly number[], end: number, n: number): boolean {
  if (end + 1 < n) return false;
  const window = z.slice(end - n + 1, end + 1);
  return window.every((v) => v > 0) || window.every((v) => v < 0);
}

function trend(values: readonly number[], end: number, n: number): boolean {
  if (end + 1 < n) return false;
  let up = true;
  let down = true;
  for (let i = end - n + 2; i <= end; i++) {
    if (!(values[i]! > values[i - 1]!)) up = false;
    if (!(values[i]! < values[i - 1]!)) down = false;
  }
  return up || down;
}

/** The rules that trip at point `i` (each judged on the points up to and including i). */
export function rulesAt(values: readonly number[], limits: Limits, i: number): RuleHit[] {
  const z = values.map((v) => (v - limits.centre) / limits.sigma);
  const hits: RuleId[] = [];
  if (Math.abs(z[i]!) > 3) hits.push('WE1');
  const two = beyond(z, i, 3, 2);
  if ((two.above >= 2 && z[i]! > 2) || (two.below >= 2 && z[i]! < -2)) hits.push('WE2');
  const four = beyond(z, i, 5, 1);
  if ((four.above >= 4 && z[i]! > 1) || (four.below >= 4 && z[i]! < -1)) hits.push('WE3');
  if (sameSide(z, i, 8)) hits.push('WE4');
  if (trend(values, i, 6)) hits.push('TREND');
  return hits.map((rule) => ({ rule, at: i, description: RULES[rule] }));
}

/** Every rule hit over the series, in order. */
export function evaluateRules(values: readonly number[], limits: Limits): RuleHit[] {
  return values.flatMap((_, i) => rulesAt(values, limits, i));
}
