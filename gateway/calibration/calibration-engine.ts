import type { InstrumentConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import type { CalTag, Reading } from '../reading.js';
import type { CalEvent, CalEventListener } from './cal-event.js';
import { CalEventReporter } from './cal-event-reporter.js';
import type { CalibrationService, ManualStatusChange } from './calibration-service.js';
import type { ManualState } from './channel-calibration.js';
import { judgeRecord } from './decision.js';
import type { CalibrationRecord } from './record.js';
import { asFoundFailed, asLeftFailed, type DueSoonPolicy } from './status-timeline.js';
import { configRecord, refusalOf } from './record-admission.js';
import { localMidnight } from './calendar.js';
import { summariseInstrument, type ChannelCalStatus } from './instrument-summary.js';
import type { Characteristic } from './characteristic/characteristic.js';
import { SensorCharacteristics } from './characteristic/sensor-conversion.js';
import { channelTagsOf, newInstrumentCal, rebuildInstrument, type ChannelTag, type InstrumentCal } from './instrument-calibration.js';

export interface EngineOptions {
  site: string;
  instruments: readonly InstrumentConfig[];
  /** Records kept beside the config (imported DCCs, API additions). */
  records?: readonly CalibrationRecord[];
  policy?: DueSoonPolicy;
  /** Persists a record added at run time (the record store); absent: kept in memory only. */
  persist?: (record: CalibrationRecord) => Promise<void>;
  /** Manual statuses in force at start (kept across restarts), and where a change is kept. */
  manual?: ReadonlyMap<string, ManualState>;
  persistManual?: (states: ReadonlyMap<string, ManualState>) => void;
  log: Logger;
  now?: () => number;
}

/**
 * The calibration engine: every record with its history, per channel, precomputed into status
 * timelines; tags every reading with the record in force at the reading's own timestamp, applies
 * the correction and uncertainty, and reports every status transition as an event.
 */
export class CalibrationEngine implements CalibrationService {
  private readonly instruments = new Map<string, InstrumentCal>();
  private readonly allRecords: CalibrationRecord[] = [];
  private readonly applied = new Set<(instrument: string) => void>();
  private readonly now: () => number;
  private readonly events: CalEventReporter;
  /** The channels' sensor characteristics: raw in Ω, mV or mA turned into the measurand before tagging. */
  private readonly characteristics: SensorCharacteristics;

  constructor(private readonly opts: EngineOptions) {
    this.now = opts.now ?? Date.now;
    this.events = new CalEventReporter(opts.site, opts.log);
    this.characteristics = new SensorCharacteristics(opts.instruments);
    for (const inst of opts.instruments) if (inst.calibration) this.allRecords.push(configRecord(inst, this.opts.log));
    this.allRecords.push(...(opts.records ?? []));
    for (const inst of opts.instruments) {
      this.instruments.set(inst.id, newInstrumentCal(inst, opts.manual?.get(inst.id) ?? null));
      this.rebuild(inst.id);
    }
  }

  /**
   * Hot reload: the instruments now configured. A changed instrument's config record replaces its
   * old one; records from files and the API stay; removed instruments are forgotten (their
   * records stay on disk).
   */
  setInstruments(instruments: readonly InstrumentConfig[]): void {
    const ids = new Set(instruments.map((i) => i.id));
    this.characteristics.setInstruments(instruments);
    for (const id of [...this.instruments.keys()]) if (!ids.has(id)) this.instruments.delete(id);
    for (let i = this.allRecords.length - 1; i >= 0; i--) if (this.allRecords[i]!.source === 'config') this.allRecords.splice(i, 1);
    for (const inst of instruments) if (inst.calibration) this.allRecords.push(configRecord(inst, this.opts.log));
    for (const inst of instruments) {
      const known = this.instruments.get(inst.id);
      if (known) known.config = inst;
      else this.instruments.set(inst.id, newInstrumentCal(inst, this.opts.manual?.get(inst.id) ?? null));
      this.rebuild(inst.id);
    }
  }

  /** Records kept on disk, loaded at start: history, not news (no events, not persisted again). */
  load(records: readonly CalibrationRecord[]): void {
    const touched = new Set<string>();
    for (const r of records) {
      if (!this.instruments.has(r.instrument)) {
        this.opts.log.warn({ instrument: r.instrument, certificate: r.certificate }, 'calibration record for an instrument not in this config: kept, not used');
        continue;
      }
      if (this.allRecords.some((x) => x.instrument === r.instrument && x.certificate === r.certificate && x.channel === r.channel)) continue;
      const refused = this.refusal(r);
      if (refused) {
        // The same checks as a record added through the API: a file edited by hand is not trusted more.
        this.opts.log.error(
          { instrument: r.instrument, channel: r.channel, certificate: r.certificate, file: r.sourceFile },
          `calibration record not used: ${refused}`,
        );
        continue;
      }
      this.allRecords.push(r);
      touched.add(r.instrument);
    }
    for (const id of touched) this.rebuild(id);
  }

  /** Why a stored record cannot be used (invalid, or tied with one already in force), or null. */
  private refusal(r: CalibrationRecord): string | null {
    return refusalOf(r, this.instrument(r.instrument).config, this.allRecords, this.opts.log);
  }

  /** Called after a new record took effect (with or without a status change): the retained state is stale. */
  onRecordApplied(listener: (instrument: string) => void): () => void {
    this.applied.add(listener);
    return () => this.applied.delete(listener);
  }

  onEvent(listener: CalEventListener): () => void {
    return this.events.onEvent(listener);
  }

  /** Hot path: one instrument's batch through its sensor characteristics, then tagged (tag()), in place. */
  tagBatch(instrument: string, readings: readonly Reading[]): void {
    this.characteristics.convertAndTag(instrument, readings, (r, c) => this.tag(r, c));
  }

  /**
   * Hot path: tags, corrects and sets u/k of one reading, in place. A reading of a channel with a
   * sensor characteristic comes through tagBatch, which converted it and passes the characteristic.
   */
  tag(r: Reading, characteristic?: Characteristic): void {
    const inst = this.instruments.get(r.instrument);
    if (!inst) return;
    const own = inst.channels.size > 0 ? inst.channels.get(r.channel) : undefined;
    const cal = own ?? inst.whole;
    cal.apply(r, characteristic);
    this.events.noteStatus(inst, own && inst.ownRecords.has(r.channel) ? r.channel : '', r.cal, cal, r.ts);
  }

  /** One channel's tag, or (no channel) the instrument summary: the worst of its channels that have a record. */
  statusOf(instrument: string, channel?: string, at = this.now()): CalTag {
    const inst = this.instrument(instrument);
    if (channel === undefined) return summariseInstrument(this.channelTags(instrument, at), inst.whole.tagAt(at));
    return (inst.channels.get(channel) ?? inst.whole).tagAt(at);
  }

  records(instrument?: string): CalibrationRecord[] {
    const list = instrument ? this.allRecords.filter((r) => r.instrument === instrument) : [...this.allRecords];
    return list.sort((a, b) => localMidnight(b.calibrated) - localMidnight(a.calibrated));
  }

  async addRecord(record: CalibrationRecord): Promise<void> {
    this.checkNew(record);
    await this.opts.persist?.(record);
    this.applyNew(record);
  }

  // ---- Live records (gateway/calibration/live-records.ts): records that reach the engine from the
  // records dir while it runs, or at start, go through the same path as an API-added one.

  /** Whether this exact record (instrument, certificate, channel) is already in force here. */
  hasRecord(r: Pick<CalibrationRecord, 'instrument' | 'certificate' | 'channel'>): boolean {
    return this.allRecords.some((x) => x.instrument === r.instrument && x.certificate === r.certificate && x.channel === r.channel);
  }

  /** Whether `instrument` is one this engine tags. */
  knows(instrument: string): boolean {
    return this.instruments.has(instrument);
  }

  /**
   * A record already stored (the records dir) that this engine has not applied: `news` raises
   * exactly the events addRecord raises (transition, suspect period), history is applied quietly.
   * Throws, as addRecord does, for a record it refuses.
   */
  adopt(record: CalibrationRecord, news: boolean): void {
    this.checkNew(record);
    if (news) return this.applyNew(record);
    this.allRecords.push(record);
    this.rebuild(record.instrument);
  }

  private checkNew(record: CalibrationRecord): void {
    const inst = this.instrument(record.instrument);
    if (record.channel !== undefined && !inst.config.channels.some((c) => c.id === record.channel)) {
      throw new Error(`instrument ${record.instrument} has no channel "${record.channel}"`);
    }
    if (this.hasRecord(record)) {
      throw new Error(`certificate ${record.certificate} is already recorded for ${record.instrument}`);
    }
    // Refused before it is stored: invalid, or a tie with a record of the same scope.
    const refused = this.refusal(record);
    if (refused) throw new Error(refused);
  }

  private applyNew(record: CalibrationRecord): void {
    const inst = this.instrument(record.instrument);
    // The last good point: the channel's previous record, or the instrument's when it had none.
    const previous = this.records(record.instrument).find(
      (r) => (r.channel === record.channel || r.channel === undefined) && localMidnight(r.calibrated) < localMidnight(record.calibrated),
    );
    // A channel's first own record: it followed the instrument's status until now, so its
    // transition is reported from that status (instead of silently starting a new scope).
    const ch = record.channel;
    this.noteBefore(inst);
    const followed = ch !== undefined && !inst.ownRecords.has(ch) ? inst.lastStatus.get('') : undefined;
    this.allRecords.push(record);
    this.rebuild(record.instrument);
    if (ch !== undefined && followed !== undefined && !inst.lastStatus.has(ch)) inst.lastStatus.set(ch, followed);
    this.opts.log.info(
      { instrument: record.instrument, channel: record.channel, certificate: record.certificate, source: record.source },
      'calibration record added',
    );
    const asLeft = judgeRecord(record).asLeft;
    this.check(record.instrument, `new record ${record.certificate}${asLeftFailed(record) ? `: as left fail by ${asLeft.rule}` : ''}`);
    if (asFoundFailed(record)) this.events.reportSuspect(record, previous, this.now());
    for (const l of this.applied) l(record.instrument);
  }

  /**
   * Per configured channel, the calibration in force at `at` and whether any record covers it:
   * what the retained status, the API and the page show beside the instrument summary.
   */
  channelStatuses(instrument: string, at = this.now()): ChannelCalStatus[] {
    return this.channelTags(instrument, at).map(({ channel, hasRecord, tag }) => ({ channel, hasRecord, ...tag }));
  }

  private channelTags(instrument: string, at: number): ChannelTag[] {
    return channelTagsOf(
      this.instrument(instrument),
      this.allRecords.filter((r) => r.instrument === instrument),
      at,
    );
  }

  setManualStatus(change: ManualStatusChange): void {
    const inst = this.instrument(change.instrument);
    const by = change.by ? ` by ${change.by}` : '';
    this.noteBefore(inst);
    inst.manual = change.status ? { status: change.status, since: this.now(), reason: `${change.reason}${by ? ` (${by.slice(1)})` : ''}` } : null;
    this.rebuild(change.instrument);
    this.opts.persistManual?.(this.manualStates());
    this.opts.log.warn(
      { instrument: change.instrument, status: change.status ?? 'released', reason: change.reason, by: change.by },
      'manual calibration status',
    );
    this.check(change.instrument, `${change.status ?? 'released'}${by}: ${change.reason}`);
  }

  /** The manual state of an instrument (quarantined or out of service, since when, why), or null. */
  manualStatus(instrument: string): ManualState | null {
    return this.instrument(instrument).manual;
  }

  private manualStates(): Map<string, ManualState> {
    const out = new Map<string, ManualState>();
    for (const [id, inst] of this.instruments) if (inst.manual) out.set(id, inst.manual);
    return out;
  }

  /** A finding raised outside the engine (a failed intermediate check): to every event listener. */
  report(event: CalEvent): void {
    this.events.report(event);
  }

  /** Emits the transitions time alone caused (an instrument expiring at midnight with no readings). */
  tick(at = this.now()): void {
    for (const id of this.instruments.keys()) this.check(id, 'calendar', at);
  }

  private check(instrument: string, reason: string, at = this.now()): void {
    const inst = this.instrument(instrument);
    this.events.noteStatus(inst, '', inst.whole.tagAt(at), inst.whole, at, reason);
    for (const [ch, cal] of inst.channels) if (inst.ownRecords.has(ch)) this.events.noteStatus(inst, ch, cal.tagAt(at), cal, at, reason);
  }

  /** The statuses in force just before a change, for the scopes that noted none yet (CalEventReporter.noteBefore). */
  private noteBefore(inst: InstrumentCal, at = this.now()): void {
    this.events.noteBefore(inst, '', inst.whole.tagAt(at).status);
    for (const [ch, cal] of inst.channels) if (inst.ownRecords.has(ch)) this.events.noteBefore(inst, ch, cal.tagAt(at).status);
  }

  private rebuild(instrument: string): void {
    rebuildInstrument(
      this.instrument(instrument),
      this.allRecords.filter((r) => r.instrument === instrument),
      this.opts.policy ?? {},
    );
  }

  private instrument(id: string): InstrumentCal {
    const inst = this.instruments.get(id);
    if (!inst) throw new Error(`no instrument "${id}" in this gateway's config`);
    return inst;
  }
}
