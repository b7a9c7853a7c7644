import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalibrationService } from '../../calibration/calibration-service.js';
import type { CalibrationRecord } from '../../calibration/record.js';
import type { CalTag, ReadingBatch } from '../../reading.js';
import type { InstrumentState } from '../sink.js';

/**
 * The site's instrument roster and capability catalogue, as the cloud platform receives it
 * (gateway/schemas/site-roster.schema.json): per instrument its calibration state, per channel
 * the quantity, measuring range and uncertainty it can deliver. The platform builds regional
 * capability catalogues and tracks shared instruments from it.
 */
export interface RosterUncertainty {
  /** Standard uncertainty, two significant digits (GUM 7.2.6). */
  u: number;
  k: number;
  /** Expanded uncertainty k·u, two significant digits. */
  U: number;
  /** From the latest reading, or (before the first) from the certificate's largest stated U. */
  source: 'reading' | 'certificate';
}

export interface RosterChannel {
  id: string;
  quantity: string;
  unit: string;
  /** The validity range of the certificate in force; null when it states none. */
  range: { min: number; max: number } | null;
  uncertainty: RosterUncertainty | null;
  calibration: CalTag;
}

export interface RosterInstrument {
  id: string;
  name: string | null;
  lab: string | null;
  protocol: string;
  /** null until the driver reported the first connection state. */
  online: boolean | null;
  since: number | null;
  calibration: CalTag & { calibrated: string | null; laboratory: string | null; kind: 'calibration' | 'verification' | null };
  channels: RosterChannel[];
}

export interface Roster {
  v: 1;
  site: string;
  gateway: string;
  ts: number;
  instruments: RosterInstrument[];
}

export interface RosterSource {
  site: string;
  gateway: string;
  instruments: readonly InstrumentConfig[];
  calibration: Pick<CalibrationService, 'records' | 'statusOf'>;
}

const twoDigits = (x: number): number => Number(x.toPrecision(2));

/**
 * Keeps what the roster is built from (connection states, the latest uncertainty per channel)
 * and tells when the roster changed. Uncertainties are compared at two significant digits, so
 * noise in the last digits does not republish the roster.
 */
export class RosterTracker {
  private readonly states = new Map<string, InstrumentState>();
  private readonly latest = new Map<string, { ts: number; u: number; k: number }>();
  private last = '';
  private instruments: readonly InstrumentConfig[];

  constructor(private readonly source: RosterSource) {
    this.instruments = source.instruments;
  }

  /** A hot reload: the next changed() reports the new roster. */
  setInstruments(instruments: readonly InstrumentConfig[]): void {
    this.instruments = instruments;
  }

  noteState(state: InstrumentState): void {
    this.states.set(state.instrument, state);
  }

  noteReadings(batch: ReadingBatch): void {
    for (const r of batch.readings) {
      if (r.u === undefined || r.k === undefined || !Number.isFinite(r.u)) continue;
      const key = `${batch.instrument}\u0000${r.channel}`;
      const prev = this.latest.get(key);
      if (!prev || r.ts >= prev.ts) this.latest.set(key, { ts: r.ts, u: r.u, k: r.k });
    }
  }

  build(now = Date.now()): Roster {
    return { v: 1, site: this.source.site, gateway: this.source.gateway, ts: now, instruments: this.instruments.map((i) => this.instrument(i, now)) };
  }

  /** The roster when it differs from the one last returned (ignoring ts), else null. */
  changed(now = Date.now()): Roster | null {
    const roster = this.build(now);
    const key = JSON.stringify(roster.instruments);
    if (key === this.last) return null;
    this.last = key;
    return roster;
  }

  /** Forget what was sent: the next changed() returns the roster (after a reconnect). */
  reset(): void {
    this.last = '';
  }

  private instrument(inst: InstrumentConfig, now: number): RosterInstrument {
    const cal = this.source.calibration;
    const tag = cal.statusOf(inst.id, undefined, now);
    const records = cal.records(inst.id);
    const inForce = records.find((r) => r.certificate === tag.certificate && r.channel === undefined);
    const state = this.states.get(inst.id);
    return {
      id: inst.id,
      name: inst.name ?? null,
      lab: inst.lab ?? null,
      protocol: inst.protocol,
      online: state ? state.online : null,
      since: state ? state.since : null,
      calibration: { ...tag, calibrated: inForce?.calibrated ?? null, laboratory: inForce?.laboratory ?? null, kind: inForce?.kind ?? null },
      channels: inst.channels.map((ch) => {
        const chTag = cal.statusOf(inst.id, ch.id, now);
        const record = records.find((r) => r.certificate === chTag.certificate && (r.channel === undefined || r.channel === ch.id));
        return {
          id: ch.id,
          quantity: ch.quantity,
          unit: ch.unit,
          range: record?.range ?? null,
          uncertainty: this.uncertainty(inst.id, ch.id, record),
          calibration: chTag,
        };
      }),
    };
  }

  private uncertainty(instrument: string, channel: string, record: CalibrationRecord | undefined): RosterUncertainty | null {
    const seen = this.latest.get(`${instrument}\u0000${channel}`);
    if (seen) return { u: twoDigits(seen.u), k: seen.k, U: twoDigits(seen.k * seen.u), source: 'reading' };
    const stated = (record?.errorTable ?? []).filter((p) => p.U !== undefined && p.k !== undefined);
    if (stated.length === 0) return null;
    const worst = stated.reduce((a, b) => (b.U! > a.U! ? b : a));
    return { u: twoDigits(worst.U! / worst.k!), k: worst.k!, U: twoDigits(worst.U!), source: 'certificate' };
  }
}
