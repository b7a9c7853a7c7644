/**
 * A comparison's reference value computed from its participants: the weighted mean with its
 * uncertainty and the χ² consistency check (Cox 2002, procedure A). When the results are not
 * consistent the participant furthest from the mean (by En) is left out and the mean formed
 * again, as procedure A prescribes, until they are or too few remain.
 */
import { chiSquaredUpper } from './chi-squared.js';
import { enNumber, type Result } from './scores.js';

export interface WeightedMean {
  value: number;
  /** Standard uncertainty of the mean. */
  u: number;
  /** Observed χ² and the critical value at 5 %. */
  chi2: number;
  chi2Critical: number;
  consistent: boolean;
  /** Participants (indices) that formed the mean; the others were left out. */
  included: number[];
  excluded: number[];
}

function mean(results: readonly Result[], idx: readonly number[]): { value: number; u: number; chi2: number } {
  let sw = 0;
  let swx = 0;
  for (const i of idx) {
    const u = results[i]!.U / results[i]!.k;
    sw += 1 / (u * u);
    swx += results[i]!.value / (u * u);
  }
  const value = swx / sw;
  const chi2 = idx.reduce((s, i) => s + ((results[i]!.value - value) / (results[i]!.U / results[i]!.k)) ** 2, 0);
  return { value, u: Math.sqrt(1 / sw), chi2 };
}

export function weightedMean(results: readonly Result[], alpha = 0.05): WeightedMean {
  if (results.length < 2) throw new RangeError(`a weighted mean needs at least 2 results, got ${results.length}`);
  for (const [i, r] of results.entries()) if (!(r.U > 0 && r.k > 0)) throw new RangeError(`result ${i + 1}: U and k must be > 0 to weigh it`);
  let included = results.map((_, i) => i);
  const excluded: number[] = [];
  for (;;) {
    const m = mean(results, included);
    const critical = chiSquaredUpper(alpha, included.length - 1);
    const consistent = m.chi2 <= critical;
    if (consistent || included.length <= 3) return { ...m, chi2Critical: critical, consistent, included, excluded };
    const ref = { value: m.value, U: 2 * m.u, k: 2 };
    const worst = included.reduce((w, i) => (Math.abs(enNumber(results[i]!, ref, true)) > Math.abs(enNumber(results[w]!, ref, true)) ? i : w));
    excluded.push(worst);
    included = included.filter((i) => i !== worst);
  }
}
