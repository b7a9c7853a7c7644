import type { CalStatus, CalTag } from '../reading.js';

/** One channel's calibration now, as the retained status, the API and the page show it. */
export interface ChannelCalStatus extends CalTag {
  channel: string;
  /** Whether any record (the channel's own or an instrument-wide one) covers this channel. */
  hasRecord: boolean;
}

/**
 * Worst first: a status further up this list is what an instrument summary shows when any channel
 * that has a record is in it. Taken out of use by hand beats every calendar status; a channel whose
 * record starts in the future (uncalibrated now) counts as worse than one still limited or due soon.
 */
const SEVERITY: readonly CalStatus[] = ['out_of_service', 'quarantined', 'out_of_tolerance', 'expired', 'uncalibrated', 'limited', 'due_soon', 'valid'];

/**
 * The instrument's calibration as one tag: the worst of the channels that have a record (the first
 * in channel order on a tie); `whenNone` (uncalibrated, or a manual quarantine) only when no channel
 * has one. A certificate that covers
 * only the measuring channel thus makes the instrument valid, while its status and setpoint
 * channels (no record) do not drag it down.
 */
export function summariseInstrument(channels: readonly { hasRecord: boolean; tag: CalTag }[], whenNone: CalTag): CalTag {
  let worst: CalTag | undefined;
  for (const ch of channels) {
    if (!ch.hasRecord) continue;
    if (worst === undefined || SEVERITY.indexOf(ch.tag.status) < SEVERITY.indexOf(worst.status)) worst = ch.tag;
  }
  // The channel's own tag object, shared by a whole status window (serialised once per window).
  return worst ?? whenNone;
}
