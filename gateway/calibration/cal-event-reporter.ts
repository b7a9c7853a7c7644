import type { Logger } from '../log.js';
import type { CalTag } from '../reading.js';
import type { CalEvent, CalEventListener } from './cal-event.js';
import type { ChannelCalibration } from './channel-calibration.js';
import type { InstrumentCal } from './instrument-calibration.js';
import type { CalibrationRecord } from './record.js';
import { suspectEvent } from './suspect-event.js';

/**
 * The calibration engine's events: decides which status a scope ('' = the whole instrument, else
 * a channel with records of its own) reports as a transition and when it happened, finds suspect
 * periods, logs each and hands it to every listener.
 */
export class CalEventReporter {
  private readonly listeners = new Set<CalEventListener>();

  constructor(
    private readonly site: string,
    private readonly log: Logger,
  ) {}

  onEvent(listener: CalEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An event to every listener, as it is (also one raised outside the engine). */
  report(event: CalEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Notes `tag` as the scope's status at `ts`; reports a transition when it changed. */
  noteStatus(inst: InstrumentCal, scope: string, tag: CalTag, cal: ChannelCalibration, ts: number, reason = 'calendar'): void {
    const last = inst.lastStatus.get(scope);
    if (last === tag.status) return;
    // A late reading (older than what was already seen) must not flip the status back and forth.
    if (ts < (inst.lastSeen.get(scope) ?? -Infinity)) return;
    inst.lastStatus.set(scope, tag.status);
    inst.lastSeen.set(scope, ts);
    if (last === undefined) return;
    // A calendar transition happened at its boundary, not when a reading happened to notice it.
    const boundary = cal.statusSegmentAt(ts).from;
    const when = reason === 'calendar' && Number.isFinite(boundary) ? Math.min(boundary, ts) : ts;
    const event: CalEvent = {
      site: this.site,
      instrument: inst.config.id,
      kind: 'transition',
      ts: when,
      from: last,
      to: tag.status,
      certificate: tag.certificate,
      due: tag.due,
      reason,
      ...(scope !== '' && { channel: scope }),
    };
    this.log.warn({ instrument: event.instrument, channel: event.channel, from: last, to: tag.status, reason }, 'calibration status changed');
    this.report(event);
  }

  /**
   * Before a change that is news (a manual status, a new record): a scope that has noted no
   * status yet (no tagged reading, no calendar tick) takes `status`, the one in force until now,
   * so the change is reported from it. Only the first noting of a scope is silent: that is the
   * status found at start, not a change.
   */
  noteBefore(inst: InstrumentCal, scope: string, status: CalTag['status']): void {
    if (!inst.lastStatus.has(scope)) inst.lastStatus.set(scope, status);
  }

  /** A record whose as-found data failed: readings since `previous` (the last good point) are suspect. */
  reportSuspect(record: CalibrationRecord, previous: CalibrationRecord | undefined, now: number): void {
    const event = suspectEvent(this.site, record, previous, now);
    this.log.error(
      { instrument: record.instrument, channel: record.channel, from: event.suspectFrom, to: event.suspectTo, asFoundError: event.asFoundError },
      'suspect readings: as-found out of tolerance',
    );
    this.report(event);
  }
}
