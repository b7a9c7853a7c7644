import type { CalTag } from '../reading.js';
import type { ChannelCalStatus } from './instrument-summary.js';
import type { CalibrationRecord } from './record.js';

/** Statuses set by hand (or by a failed intermediate check) rather than by the calendar. */
export type ManualStatus = 'quarantined' | 'out_of_service';

export interface ManualStatusChange {
  instrument: string;
  /** null releases the instrument back to its calendar status. */
  status: ManualStatus | null;
  reason: string;
  by?: string;
}

/**
 * What the rest of the gateway (API, CLI) may ask of and tell the calibration engine.
 * Implemented by gateway/calibration/calibration-engine.ts.
 */
export interface CalibrationService {
  /** Every record known, newest first; one instrument's when given. */
  records(instrument?: string): CalibrationRecord[];
  /**
   * The calibration tag of one channel at `at` (default now), or without a channel the instrument
   * summary: the worst of its channels that have a record, uncalibrated only when none has one.
   */
  statusOf(instrument: string, channel?: string, at?: number): CalTag;
  /** Every configured channel's tag at `at` (default now) and whether a record covers it. */
  channelStatuses(instrument: string, at?: number): ChannelCalStatus[];
  /** Validates, stores (records dir) and applies a new record; throws with a clear message. */
  addRecord(record: CalibrationRecord): Promise<void>;
  setManualStatus(change: ManualStatusChange): void;
}
