import type { InstrumentConfig } from '../../config/schema.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import type { CalEvent } from '../../gateway/calibration/cal-event.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { silentLogger } from '../../gateway/log.js';
import type { CalTag, Reading } from '../../gateway/reading.js';

/** The tag a reading has before the engine tags it (what an instrument without a record gets). */
export const NO_RECORD: CalTag = Object.freeze({ status: 'uncalibrated', certificate: null, due: null, daysToDue: null, traceable: false });

/** A bath with a temperature channel (°C) and a heater power channel (%). */
export const BATH: InstrumentConfig = {
  id: 'bath',
  protocol: 'modbus-tcp',
  connection: { host: '127.0.0.1', port: 1, unitId: 1, timeoutMs: 100 },
  pollIntervalMs: 1000,
  maxGap: 0,
  maxRegistersPerRead: 125,
  channels: [
    { id: 'temperature', function: 'input', address: 0, type: 'float32', order: 'ABCD', scale: 1, offset: 0, quantity: 'temperature', unit: '°C' },
    { id: 'power', function: 'input', address: 2, type: 'uint16', order: 'ABCD', scale: 1, offset: 0, quantity: 'power', unit: '%' },
  ],
};

export function record(over: Partial<CalibrationRecord> & Pick<CalibrationRecord, 'certificate' | 'calibrated' | 'due'>): CalibrationRecord {
  return { instrument: 'bath', kind: 'calibration', unit: '°C', errorTable: [], traceability: [], source: 'api', ...over };
}

/** The bath's certificate in force through 2026, covering −40 to 250 °C. */
export const BATH_CERT = record({ certificate: 'CNAS-T-2026-0042', calibrated: '2026-01-10', due: '2026-12-15', range: { min: -40, max: 250 } });

/** An engine over BATH with a settable clock; `events` collects what it reports. */
export function engineWith(records: CalibrationRecord[], now: { t: number }) {
  const events: CalEvent[] = [];
  const engine = new CalibrationEngine({ site: 'lab', instruments: [BATH], records, log: silentLogger(), now: () => now.t });
  engine.onEvent((e) => events.push(e));
  return { engine, events };
}

export function reading(ts: number, raw: number | null, channel = 'temperature', unit = '°C'): Reading {
  return {
    site: 'lab',
    instrument: 'bath',
    channel,
    quantity: 'temperature',
    unit,
    ts,
    seq: 1,
    raw,
    value: raw,
    quality: raw === null ? 'bad' : 'good',
    cal: NO_RECORD,
  };
}
