import type { CalEvent } from './cal-event.js';
import { localMidnight } from './calendar.js';
import { judgeRecord } from './decision.js';
import type { CalibrationRecord } from './record.js';

/**
 * The `suspect` event of a record whose as-found data failed: readings since the last good
 * calibration (`previous`, or every earlier one without it) are suspect.
 */
export function suspectEvent(site: string, record: CalibrationRecord, previous: CalibrationRecord | undefined, now: number): CalEvent {
  const verdict = judgeRecord(record).asFound!;
  const worst = verdict.worst?.error ?? (record.asFound ?? []).reduce((w, p) => (Math.abs(p.error) > Math.abs(w) ? p.error : w), 0);
  const event: CalEvent = {
    site,
    instrument: record.instrument,
    kind: 'suspect',
    ts: now,
    from: null,
    to: 'out_of_tolerance',
    certificate: record.certificate,
    due: record.due,
    reason: `as found out of tolerance in ${record.certificate} (${verdict.rule}): readings since the last good calibration are suspect`,
    suspectFrom: previous ? localMidnight(previous.calibrated) : 0,
    suspectTo: localMidnight(record.calibrated),
    asFoundError: worst,
  };
  if (record.channel !== undefined) event.channel = record.channel;
  // The limit the worst point broke (for an MPE that varies with the value, the one at that point).
  if (verdict.worst) event.mpe = Math.abs(verdict.worst.limit);
  else if (typeof record.mpe === 'number') event.mpe = record.mpe;
  return event;
}
