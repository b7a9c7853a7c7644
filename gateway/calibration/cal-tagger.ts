import type { CalibrationConfig } from '../../config/schema.js';
import type { CalStatus, CalTag, Reading } from '../reading.js';
import { calendarDaysBetween, startOfLocalDay, startOfNextLocalDay } from './calendar.js';
import { buildTimeline, segmentAt, type StatusTimeline } from './status-timeline.js';

const TRACEABLE: ReadonlySet<CalStatus> = new Set(['valid', 'due_soon', 'limited']);

const NO_RECORD: CalTag = Object.freeze({
  status: 'uncalibrated',
  certificate: null,
  due: null,
  daysToDue: null,
  traceable: false,
}) as CalTag;

export type TransitionListener = (instrument: string, from: CalStatus | null, tag: CalTag, ts: number) => void;

/**
 * Tags the readings of one instrument with the calibration record valid at each reading's own
 * timestamp. The tag only changes at a status boundary or at local midnight (daysToDue), so it
 * is computed once per such window and shared by every reading inside it: O(1), no allocation.
 */
export class CalTagger {
  private readonly timeline: StatusTimeline | null;
  private from = Infinity;
  private to = -Infinity;
  private current: CalTag = NO_RECORD;
  private lastStatus: CalStatus | null = null;

  constructor(
    readonly instrument: string,
    record: CalibrationConfig | undefined,
    private readonly onTransition?: TransitionListener,
  ) {
    this.timeline = record ? buildTimeline(record) : null;
  }

  tagAt(ts: number): CalTag {
    if (ts < this.from || ts >= this.to) this.recompute(ts);
    return this.current;
  }

  /** Sets `cal` and, until the calibration engine corrects values, `value = raw`. */
  tag(reading: Reading): void {
    reading.cal = this.tagAt(reading.ts);
  }

  private recompute(ts: number): void {
    if (!this.timeline) {
      this.from = -Infinity;
      this.to = Infinity;
      this.current = NO_RECORD;
    } else {
      const seg = segmentAt(this.timeline, ts);
      this.from = Math.max(seg.from, startOfLocalDay(ts));
      this.to = Math.min(seg.to, startOfNextLocalDay(ts));
      const hasRecord = seg.status !== 'uncalibrated';
      this.current = Object.freeze({
        status: seg.status,
        certificate: hasRecord ? this.timeline.certificate : null,
        due: hasRecord ? this.timeline.due : null,
        daysToDue: hasRecord ? calendarDaysBetween(ts, this.timeline.dueMidnight) : null,
        traceable: TRACEABLE.has(seg.status),
      });
    }
    if (this.current.status !== this.lastStatus) {
      const previous = this.lastStatus;
      this.lastStatus = this.current.status;
      this.onTransition?.(this.instrument, previous, this.current, ts);
    }
  }
}
