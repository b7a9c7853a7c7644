/**
 * The calibration a roster states per channel and per instrument. A certificate scoped to a
 * channel counts for that channel; the instrument's summary is the worst state among its
 * channels that have a record (`uncalibrated` only when none has one), with that channel's
 * certificate, date, laboratory and kind, so a channel-scoped certificate is never lost.
 */
import type { CalibrationRecord } from '../../calibration/record.js';
import type { InstrumentCalibration, RosterCalibration } from '../../contract/roster.js';
import type { CalStatus, CalTag } from '../../reading.js';

export type { InstrumentCalibration, RosterCalibration } from '../../contract/roster.js';

/** Worst first: the order in which a summary picks a channel's state. */
const SEVERITY: readonly CalStatus[] = ['out_of_tolerance', 'expired', 'quarantined', 'out_of_service', 'limited', 'due_soon', 'valid', 'uncalibrated'];

/** The record behind a tag: same certificate and laboratory, the channel's own before an instrument-wide one. */
export function recordFor(records: readonly CalibrationRecord[], tag: CalTag, channel?: string): CalibrationRecord | undefined {
  if (tag.certificate === null) return undefined;
  const same = records.filter((r) => r.certificate === tag.certificate && (tag.laboratory === undefined || (r.laboratory ?? null) === tag.laboratory));
  return same.find((r) => channel !== undefined && r.channel === channel) ?? same.find((r) => r.channel === undefined) ?? same[0];
}

export function rosterCalibration(tag: CalTag, record: CalibrationRecord | undefined): RosterCalibration {
  return {
    ...tag,
    laboratory: record?.laboratory ?? tag.laboratory ?? null,
    calibrated: record?.calibrated ?? null,
    kind: record?.kind ?? null,
    sha256: record?.signature?.sha256 ?? null,
  };
}

export function instrumentSummary(channels: readonly { id: string; calibration: RosterCalibration }[], own: RosterCalibration): InstrumentCalibration {
  const candidates: { id: string | null; calibration: RosterCalibration }[] = channels.filter((c) => c.calibration.certificate !== null);
  // The instrument's own state counts too where it has one: a quarantine, an instrument-wide record.
  if (own.certificate !== null || own.status !== 'uncalibrated') candidates.push({ id: null, calibration: own });
  if (candidates.length === 0) return { ...own, channel: null };
  const rank = (c: { calibration: RosterCalibration }) => SEVERITY.indexOf(c.calibration.status);
  const worst = candidates.reduce((a, b) => (rank(b) < rank(a) ? b : a));
  return { ...worst.calibration, channel: worst.id };
}
