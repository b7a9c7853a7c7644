/**
 * One instrument's calibration as the engine holds it: the instrument-wide timeline, the channels
 * with records or budgets of their own, and what was last reported per scope. Rebuilt whole from
 * the records whenever they or the manual state change (records are few; readings are many).
 */
import type { InstrumentConfig } from '../../config/schema.js';
import type { CalStatus, CalTag } from '../reading.js';
import { localMidnight } from './calendar.js';
import { ChannelCalibration, type ChannelBudget, type ManualState } from './channel-calibration.js';
import type { CalibrationRecord } from './record.js';
import { buildTimeline, type DueSoonPolicy } from './status-timeline.js';

export interface InstrumentCal {
  config: InstrumentConfig;
  /** The instrument-wide calibration (records without a channel). */
  whole: ChannelCalibration;
  /** Channels with records or an uncertainty budget of their own. */
  channels: Map<string, ChannelCalibration>;
  /** Of those, the channels with records of their own: they have their own status and events. */
  ownRecords: Set<string>;
  /** Status last reported per scope ('' = whole instrument), for transition events. */
  lastStatus: Map<string, CalStatus>;
  /** Timestamp at which that status was noted, per scope. */
  lastSeen: Map<string, number>;
  manual: ManualState | null;
}

export function newInstrumentCal(config: InstrumentConfig, manual: ManualState | null = null): InstrumentCal {
  return { config, whole: new ChannelCalibration([]), channels: new Map(), ownRecords: new Set(), lastStatus: new Map(), lastSeen: new Map(), manual };
}

/** Recomputes every timeline of one instrument from its records (`mine`) and its manual state. */
export function rebuildInstrument(inst: InstrumentCal, mine: readonly CalibrationRecord[], policy: DueSoonPolicy): void {
  const whole = mine.filter((r) => r.channel === undefined);
  const wholeTimeline = buildTimeline(whole, policy);
  inst.whole.reset(wholeTimeline, inst.manual, budgetOf(inst.config, undefined));
  inst.ownRecords = new Set(mine.flatMap((r) => (r.channel !== undefined ? [r.channel] : [])));
  const budgeted = new Set((inst.config.uncertaintyBudget ?? []).flatMap((b) => (b.channel !== undefined ? [b.channel] : [])));
  for (const ch of [...inst.channels.keys()]) if (!inst.ownRecords.has(ch) && !budgeted.has(ch)) inst.channels.delete(ch);
  for (const ch of new Set([...inst.ownRecords, ...budgeted])) {
    // A channel's own records rule from their dates on; before them the instrument's do.
    const firstOwn = Math.min(...mine.filter((r) => r.channel === ch).map((r) => localMidnight(r.calibrated)));
    const records = [...whole.filter((r) => localMidnight(r.calibrated) < firstOwn), ...mine.filter((r) => r.channel === ch)];
    const timeline = inst.ownRecords.has(ch) ? buildTimeline(records, policy) : wholeTimeline;
    const budget = budgetOf(inst.config, ch);
    const existing = inst.channels.get(ch);
    if (existing) existing.reset(timeline, inst.manual, budget);
    else inst.channels.set(ch, new ChannelCalibration(timeline, inst.manual, budget));
  }
}

/** The channel's budget: its own entry, else the instrument-wide one (no channel). */
function budgetOf(inst: InstrumentConfig, channel: string | undefined): ChannelBudget | undefined {
  const budgets = inst.uncertaintyBudget ?? [];
  return (channel !== undefined ? budgets.find((b) => b.channel === channel) : undefined) ?? budgets.find((b) => b.channel === undefined);
}

export function unitOf(inst: InstrumentConfig, channel: string | undefined): string {
  const ch = channel !== undefined ? inst.channels.find((c) => c.id === channel) : inst.channels[0];
  return ch?.unit ?? '';
}

export interface ChannelTag {
  channel: string;
  hasRecord: boolean;
  tag: CalTag;
}

/** Per configured channel, the tag in force at `at` and whether any record (`mine`) covers it. */
export function channelTagsOf(inst: InstrumentCal, mine: readonly CalibrationRecord[], at: number): ChannelTag[] {
  const wholeHas = mine.some((r) => r.channel === undefined);
  return inst.config.channels.map((c) => ({
    channel: c.id,
    hasRecord: wholeHas || mine.some((r) => r.channel === c.id),
    tag: (inst.channels.get(c.id) ?? inst.whole).tagAt(at),
  }));
}
