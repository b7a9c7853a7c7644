import type { CalStatus } from '../reading.js';

/**
 * A calibration event: a status transition (by time, by a new record, by hand), a finding that
 * past readings are suspect (a new certificate's as-found data failed), or, after a suspect
 * finding, where the owning gateway wrote its impact report, or an intermediate check's result
 * (`check`, gateway/checks/). Published on
 * `<prefix>/<site>/<gateway>/<instrument>/event`, written to InfluxDB (`cal_event`) for Grafana annotations.
 * Schema: gateway/schemas/cal-event.schema.json.
 */
export interface CalEvent {
  site: string;
  instrument: string;
  /** Absent when the event concerns the whole instrument. */
  channel?: string;
  kind: 'transition' | 'suspect' | 'impact_report' | 'check';
  /** When it happened (transition time; for `suspect`, when it was found), ms since epoch. */
  ts: number;
  from: CalStatus | null;
  to: CalStatus;
  certificate: string | null;
  due: string | null;
  /** Why: `calendar`, `new record DCC-…`, `quarantined by alice: failed check`, … */
  reason: string;
  /** For `suspect`: the period whose readings are suspect, ms since epoch. */
  suspectFrom?: number;
  suspectTo?: number;
  /** For `suspect`: the largest as-found error, in the channel's unit, and the MPE it broke. */
  asFoundError?: number;
  mpe?: number;
  /** For `impact_report`: the report's path on the gateway that published the event. */
  reportFile?: string;
  /** For `impact_report`: readings stored for the suspect period when it was written; absent when not counted. */
  readingsAffected?: number;
  /** The intermediate check that raised it (a `check` result, or its `suspect` finding). */
  check?: string;
  /** For `check`: the result (gateway/checks/check-result.ts); InfluxDB `check_result`. */
  result?: CheckEventResult;
}

/** What a `check` event carries of a check result. */
export interface CheckEventResult {
  kind: 'standard' | 'redundancy';
  n: number;
  measured: number;
  reference: number;
  referenceU: number;
  U: number | null;
  difference: number;
  rule: 'En' | 'MPE' | 'redundancy';
  score: number;
  limit: number;
  verdict: 'pass' | 'fail' | 'pending';
  z: number | null;
  centre: number | null;
  sigma: number | null;
  cusumHigh: number;
  cusumLow: number;
  tripped: string[];
  passed: boolean;
  quarantined: boolean;
}

export type CalEventListener = (event: CalEvent) => void;
