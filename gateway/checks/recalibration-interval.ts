/**
 * Suggested recalibration intervals from an instrument's own history (ILAC-G24:2022 / OIML D 10).
 * Two methods, each with the evidence it used; metrogate never changes a due date by itself.
 *
 * - Staircase (automatic adjustment): after each calibration the interval is lengthened when the
 *   as-found error stayed well inside the MPE, kept when it came close, and shortened when it
 *   was outside.
 * - Control chart (drift): the as-found error's drift per year, fitted over the history, gives
 *   the time until the predicted error plus its expanded uncertainty reaches the MPE.
 */

export interface CalibrationHistoryPoint {
  /** Calibration date (YYYY-MM-DD). */
  calibrated: string;
  /** The as-found error at the point judged (signed, in the unit), and its expanded uncertainty. */
  asFoundError: number;
  U: number;
  mpe: number;
  /** Whether the instrument was adjusted (its error set back near 0) at this calibration. */
  adjusted?: boolean;
}

export interface StaircaseRules {
  /** |E| + U ≤ this share of the MPE: lengthen. Default 0.5. */
  extendBelow: number;
  extendFactor: number;
  /** Out of tolerance (|E| > MPE): shorten. */
  shortenFactor: number;
  minMonths: number;
  maxMonths: number;
}

export const STAIRCASE_DEFAULTS: StaircaseRules = { extendBelow: 0.5, extendFactor: 1.25, shortenFactor: 0.5, minMonths: 3, maxMonths: 60 };

export interface IntervalSuggestion {
  method: 'staircase' | 'control-chart';
  months: number;
  /** Each step of the reasoning, for the person who decides. */
  evidence: string[];
}

const MS_PER_YEAR = 365.25 * 86_400_000;
const years = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_YEAR;
const clamp = (x: number, r: StaircaseRules): number => Math.min(r.maxMonths, Math.max(r.minMonths, x));
const round1 = (x: number): number => Math.round(x * 10) / 10;

export function staircaseInterval(
  history: readonly CalibrationHistoryPoint[],
  currentMonths: number,
  rules: StaircaseRules = STAIRCASE_DEFAULTS,
): IntervalSuggestion {
  let months = currentMonths;
  const evidence: string[] = [];
  for (const p of [...history].sort((a, b) => a.calibrated.localeCompare(b.calibrated))) {
    const share = (Math.abs(p.asFoundError) + p.U) / p.mpe;
    const before = months;
    if (Math.abs(p.asFoundError) > p.mpe) months = clamp(months * rules.shortenFactor, rules);
    else if (share <= rules.extendBelow) months = clamp(months * rules.extendFactor, rules);
    const verdict =
      months < before
        ? 'out of tolerance: shortened'
        : months > before
          ? `within ${rules.extendBelow * 100} % of the MPE: lengthened`
          : 'close to the MPE: kept';
    evidence.push(
      `${p.calibrated}: as found ${p.asFoundError} ± ${p.U} against MPE ${p.mpe} (${round1(share * 100)} %): ${verdict}, ${round1(before)} → ${round1(months)} months`,
    );
  }
  return { method: 'staircase', months: Math.round(months), evidence };
}

/**
 * Fits E(t) = a + b·t by least squares over the calibrations since the last adjustment (an
 * adjustment restarts the drift), and finds when |E| + U reaches the MPE.
 */
export function driftInterval(history: readonly CalibrationHistoryPoint[], rules: StaircaseRules = STAIRCASE_DEFAULTS): IntervalSuggestion {
  const sorted = [...history].sort((a, b) => a.calibrated.localeCompare(b.calibrated));
  const lastAdjusted = sorted.map((p) => p.adjusted === true).lastIndexOf(true);
  // The adjusted calibration's as-found error was before the adjustment: the drift starts after it.
  const run = lastAdjusted >= 0 ? sorted.slice(lastAdjusted + 1) : sorted;
  if (run.length < 3)
    return { method: 'control-chart', months: NaN, evidence: [`${run.length} calibration(s) since the last adjustment: at least 3 are needed to fit a drift`] };
  const t0 = run[0]!.calibrated;
  const xs = run.map((p) => years(t0, p.calibrated));
  const ys = run.map((p) => p.asFoundError);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const drift = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / sxx;
  const last = run[run.length - 1]!;
  const atLast = my + drift * (xs[xs.length - 1]! - mx);
  const room = last.mpe - last.U - Math.abs(atLast);
  const evidence = [
    `${run.length} calibrations from ${t0} to ${last.calibrated}; fitted drift ${drift.toPrecision(3)} per year, error at the last calibration ${atLast.toPrecision(3)}`,
    `room before |E| + U reaches the MPE: ${last.mpe} − ${last.U} − ${Math.abs(atLast).toPrecision(3)} = ${room.toPrecision(3)}`,
  ];
  if (room <= 0) return { method: 'control-chart', months: rules.minMonths, evidence: [...evidence, 'no room left: the shortest interval'] };
  const months = drift === 0 ? rules.maxMonths : clamp((room / Math.abs(drift)) * 12, rules);
  evidence.push(
    `${room.toPrecision(3)} / ${Math.abs(drift).toPrecision(3)} per year = ${round1((room / Math.abs(drift)) * 12)} months, bounded to ${rules.minMonths}–${rules.maxMonths}`,
  );
  return { method: 'control-chart', months: Math.floor(months), evidence };
}
