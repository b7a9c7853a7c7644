import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalibrationService } from '../../calibration/calibration-service.js';
import type { CalibrationRecord } from '../../calibration/record.js';
import { channelUnitForms } from '../../contract/quantities.js';
import { unitForms } from '../../contract/units.js';
import { VERSION } from '../../version.js';
import type { InstrumentState } from '../sink.js';
import { ROSTER_VERSION, type Roster, type RosterCertificate, type RosterChannel, type RosterInstrument, type TimeSource } from '../../contract/roster.js';
import { capabilityOf } from './capability.js';
import { instrumentSummary, recordFor, rosterCalibration } from './roster-calibration.js';

/**
 * The site's instrument roster and capability catalogue, as the cloud platform receives it: its
 * shape is the contract's (gateway/contract/roster.ts, published as
 * gateway/schemas/site-roster.schema.json, v2; the meaning in gateway/schemas/README.md), and
 * every value here is built typed by it, so the code and the published schema cannot drift.
 */
export type { Roster, TimeSource } from '../../contract/roster.js';

export interface RosterSource {
  site: string;
  gateway: string;
  instruments: readonly InstrumentConfig[];
  calibration: Pick<CalibrationService, 'records' | 'statusOf'>;
}

const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function timeSourceOf(inst: InstrumentConfig): TimeSource {
  if (inst.protocol !== 'opcua') return 'gateway';
  // `source` falls back to the server's timestamp (then the gateway's) where a value has none.
  return inst.timestamps === 'gateway' ? 'gateway' : inst.timestamps === 'server' ? 'server' : 'device';
}

/**
 * Keeps what the roster is built from (connection states) and tells when the roster changed.
 * Nothing in it follows the readings: it changes with the config, a connection or a certificate.
 */
export class RosterTracker {
  private readonly states = new Map<string, InstrumentState>();
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
    // The roster lists the configured instruments only; a removed one's state would only linger.
    if (state.removed) this.states.delete(state.instrument);
    else this.states.set(state.instrument, state);
  }

  build(now = Date.now()): Roster {
    const { site, gateway } = this.source;
    const instruments = this.instruments;
    return {
      v: ROSTER_VERSION,
      site,
      gateway,
      gatewayVersion: VERSION,
      timeZone: TIME_ZONE,
      ts: now,
      instruments: instruments.map((i) => this.instrument(i, now)),
      certificates: instruments.flatMap((i) => this.source.calibration.records(i.id).map(certificateEntry)),
    };
  }

  /** The roster when it differs from the one last returned (ignoring ts), else null. */
  changed(now = Date.now()): Roster | null {
    const roster = this.build(now);
    const key = JSON.stringify([roster.instruments, roster.certificates]);
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
    const records = cal.records(inst.id);
    const ownTag = cal.statusOf(inst.id, undefined, now);
    const own = rosterCalibration(ownTag, recordFor(records, ownTag));
    const timeSource = timeSourceOf(inst);
    const channels = inst.channels.map((ch): RosterChannel => {
      const tag = cal.statusOf(inst.id, ch.id, now);
      const record = recordFor(records, tag, ch.id);
      const forms = channelUnitForms(ch.quantity, ch.unit);
      return {
        id: ch.id,
        quantity: ch.quantity,
        unit: ch.unit,
        unitCode: forms?.ucum ?? null,
        dsiUnit: forms?.dsi ?? null,
        timeSource,
        calibration: rosterCalibration(tag, record),
        capability: capabilityOf(record),
      };
    });
    const state = this.states.get(inst.id);
    return {
      id: inst.id,
      name: inst.name ?? null,
      lab: inst.lab ?? null,
      protocol: inst.protocol,
      online: state ? state.online : null,
      since: state ? state.since : null,
      calibration: instrumentSummary(channels, own),
      channels,
    };
  }
}

function certificateEntry(r: CalibrationRecord): RosterCertificate {
  const forms = unitForms(r.unit);
  return {
    laboratory: r.laboratory ?? null,
    certificate: r.certificate,
    instrument: r.instrument,
    channel: r.channel ?? null,
    kind: r.kind,
    calibrated: r.calibrated,
    issued: r.issued ?? null,
    due: r.due,
    unit: r.unit,
    unitCode: forms?.ucum ?? null,
    dsiUnit: forms?.dsi ?? null,
    range: r.range ?? null,
    sha256: r.signature?.sha256 ?? null,
    source: r.source,
  };
}
