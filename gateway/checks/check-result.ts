import type { CheckEventResult } from '../contract/messages.js';
import type { CheckRule } from './check-judge.js';

/**
 * pass / fail by the check's rule; `pending` for a redundancy difference over its limit for less
 * than the minimum duration (not counted yet).
 */
export type CheckVerdict = 'pass' | 'fail' | 'pending';

/** One stored check result: a line of `<checks.dir>/<id>.jsonl` and a `check` event (InfluxDB `check_result`). */
export interface CheckResult {
  check: string;
  kind: 'standard' | 'redundancy';
  instrument: string;
  channel: string;
  /** When it was measured (the reading's timestamp; for an operator's entry, when it was recorded). */
  ts: number;
  /** Result number in the series, from 1. */
  n: number;
  /** The instrument's indication (redundancy: the first channel). */
  measured: number;
  /** The check standard's value, the reference channel's reading, or the second channel's. */
  reference: number;
  /** Expanded uncertainty of the reference (redundancy: k·u of the second channel). */
  referenceU: number;
  /** Expanded uncertainty of the measured value, when known. */
  U: number | null;
  /** measured − reference: the value the control chart plots. */
  difference: number;
  rule: CheckRule;
  score: number;
  limit: number;
  verdict: CheckVerdict;
  /** The chart at this point: null z while its limits are collected. */
  z: number | null;
  centre: number | null;
  sigma: number | null;
  cusumHigh: number;
  cusumLow: number;
  /** Run rules and CUSUM that tripped at this point (every one an event), and the verdict `fail`. */
  tripped: CheckEventResult['tripped'];
  /** Passed with the chart in control (no rule, CUSUM at 0): where an impact period starts. */
  passed: boolean;
  /** The instrument was quarantined by this result. */
  quarantined: boolean;
  by: string | null;
}
