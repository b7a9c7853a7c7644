import type { CalTag } from '../reading.js';
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
  /** The calibration tag an instrument (or one channel) has at `at` (default now). */
  statusOf(instrument: string, channel?: string, at?: number): CalTag;
  /** Validates, stores (records dir) and applies a new record; throws with a clear message. */
  addRecord(record: CalibrationRecord): Promise<void>;
  setManualStatus(change: ManualStatusChange): void;
}
