/**
 * The platform's step between receiving participants' result messages and evaluating: each
 * message goes to the point of the coordinator's file with its nominal value. A message for
 * another comparison, a point the file does not have, another unit, or a laboratory that already
 * has a result at that point is refused with its reason: silently evaluating a mismatched result
 * would score a laboratory on something it did not measure.
 */
import type { Comparison } from './comparison.js';
import type { ComparisonResult } from './comparison-result.js';

export function mergeResults(comparison: Comparison, results: readonly ComparisonResult[]): Comparison {
  const points = comparison.points.map((p) => ({ ...p, results: [...p.results] }));
  for (const r of results) {
    const from = `result of ${r.lab} (${r.site}/${r.gateway} ${r.instrument}/${r.channel}) at ${r.nominal} ${r.unit}`;
    if (r.comparison !== comparison.comparison) throw new Error(`${from}: belongs to comparison ${r.comparison}, not ${comparison.comparison}`);
    if (r.unit !== comparison.unit) throw new Error(`${from}: stated in ${r.unit || '(no unit)'}, the comparison in ${comparison.unit}`);
    const point = points.find((p) => p.nominal === r.nominal);
    if (!point) throw new Error(`${from}: the comparison has no point at ${r.nominal} (points: ${points.map((p) => p.nominal).join(', ')})`);
    if (point.results.some((x) => x.lab === r.lab)) throw new Error(`${from}: ${r.lab} already has a result at ${r.nominal}`);
    point.results.push({ lab: r.lab, value: r.value, U: r.U, k: r.k });
  }
  return { ...comparison, points };
}
