/**
 * The control-chart state of one check series, kept across restarts: the baseline until the
 * limits are known (the first N results, or limits set by hand), the last points the run rules
 * look at, and the CUSUM sums. One result in, the rules that tripped at it out.
 */
import { limitsFrom, rulesAt, type Limits, type RuleHit } from './control-chart.js';
import { cusumStep, type CusumOptions, type CusumState } from './cusum.js';

/** WE4 looks at 8 points, the trend rule at 6: older points never change a verdict. */
const WINDOW = 8;

export interface ChartState {
  v: 1;
  /** Results charted so far. */
  n: number;
  /** Values collected while the limits are not known yet. */
  baseline: number[];
  limits: Limits | null;
  /** Where the limits came from. */
  limitsFrom: 'baseline' | 'config' | null;
  recent: number[];
  cusum: CusumState;
  /** ts of the last result that passed with the chart in control: the start of an impact period. */
  lastPassedTs: number | null;
}

export interface ChartOptions {
  baseline: number;
  centre?: number | undefined;
  sigma?: number | undefined;
  cusum: CusumOptions;
}

export interface ChartPoint {
  /** (value − centre)/σ; null while the baseline is being collected. */
  z: number | null;
  hits: RuleHit[];
  cusum: CusumState;
  /** The CUSUM exceeded h at this point (it restarts from 0 afterwards). */
  cusumSignal: 'up' | 'down' | null;
}

export function emptyChart(opts: ChartOptions): ChartState {
  const byHand = opts.centre !== undefined && opts.sigma !== undefined;
  return {
    v: 1,
    n: 0,
    baseline: [],
    recent: [],
    cusum: { high: 0, low: 0 },
    lastPassedTs: null,
    limits: byHand ? { centre: opts.centre!, sigma: opts.sigma! } : null,
    limitsFrom: byHand ? 'config' : null,
  };
}

/** Adds one value to the chart (in place) and says what it showed. */
export function chartResult(state: ChartState, value: number, opts: ChartOptions): ChartPoint {
  state.n++;
  if (state.limits === null) {
    state.baseline.push(value);
    if (state.baseline.length >= opts.baseline) {
      try {
        state.limits = limitsFrom(state.baseline);
        state.limitsFrom = 'baseline';
      } catch {
        // Identical results (σ = 0): keep collecting; a later one that differs gives the limits.
      }
    }
    return { z: null, hits: [], cusum: state.cusum, cusumSignal: null };
  }
  state.recent.push(value);
  if (state.recent.length > WINDOW) state.recent.shift();
  const hits = rulesAt(state.recent, state.limits, state.recent.length - 1);
  const z = (value - state.limits.centre) / state.limits.sigma;
  const cusum = cusumStep(state.cusum, z, opts.cusum);
  let cusumSignal: 'up' | 'down' | null = null;
  if (cusum.high > opts.cusum.h) cusumSignal = 'up';
  else if (cusum.low > opts.cusum.h) cusumSignal = 'down';
  // After a signal the CUSUM starts again (ISO 7870-4): the next signal is new evidence.
  state.cusum = cusumSignal ? { high: 0, low: 0 } : cusum;
  return { z, hits, cusum, cusumSignal };
}

/** A chart state read from disk, or null when it is not one (the caller starts afresh and says so). */
export function parseChart(doc: unknown): ChartState | null {
  const s = doc as Partial<ChartState> | null;
  if (s?.v !== 1 || typeof s.n !== 'number' || !Array.isArray(s.baseline) || !Array.isArray(s.recent) || typeof s.cusum !== 'object' || s.cusum === null)
    return null;
  return s as ChartState;
}
