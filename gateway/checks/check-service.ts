import type { CheckResult } from './check-result.js';
import type { OperatorEntry } from './check-runner.js';

/** One check as the API shows it: its config, its chart and its last result. */
export interface CheckSummary {
  id: string;
  kind: 'standard' | 'redundancy';
  instrument: string;
  channel: string;
  quarantineOn: string[];
  chart: {
    n: number;
    limitsFrom: 'baseline' | 'config' | null;
    centre: number | null;
    sigma: number | null;
    cusumHigh: number;
    cusumLow: number;
    lastPassedTs: number | null;
  };
  last: CheckResult | null;
}

/** What the API may ask of the intermediate checks (implemented by check-runner.ts). */
export interface CheckService {
  summaries(): CheckSummary[];
  /** null for an unknown check. */
  results(id: string, limit: number): CheckResult[] | null;
  /** Throws CheckInputError (400/404) for what the caller got wrong. */
  record(id: string, entry: OperatorEntry): CheckResult;
}
