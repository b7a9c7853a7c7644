/**
 * Readings of sensors read in another quantity, through the calibration engine as the pipeline
 * runs it (tagBatch): raw stays in Ω / mV with rawUnit, value is the measurand, the correction
 * works in the quantity the certificate calibrated, and u carries the sensitivity coefficient.
 */
import { describe, expect, it } from 'vitest';
import type { InstrumentConfig } from '../../config/schema.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading } from '../../gateway/reading.js';
import { NO_RECORD } from '../support/calibration-fixture.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { decodeBatch, encodeBatch } from '../../gateway/spool/batch-codec.js';

const T = new Date(2026, 5, 1, 12).getTime();
const channel = (id: string, address: number, characteristic?: InstrumentConfig['channels'][number]['characteristic']) => ({
  id,
  function: 'input' as const,
  address,
  type: 'float32',
  order: 'ABCD' as const,
  scale: 1,
  offset: 0,
  quantity: 'temperature',
  unit: '°C',
  ...(characteristic && { characteristic }),
});
/** A bridge reading a Pt100 (IEC 60751 nominal), a reference-junction sensor and a type K thermocouple. */
const BRIDGE: InstrumentConfig = {
  id: 'bridge',
  protocol: 'modbus-tcp',
  connection: { host: '127.0.0.1', port: 1, unitId: 1, timeoutMs: 100 },
  pollIntervalMs: 1000,
  maxGap: 0,
  maxRegistersPerRead: 125,
  channels: [
    channel('prt', 0, { type: 'cvd', R0: 100, A: 3.9083e-3, B: -5.775e-7, C: -4.183e-12 }),
    channel('junction', 2),
    channel('tc', 4, { type: 'thermocouple', thermocouple: 'K', coldJunction: { channel: 'junction' } }),
  ],
  // A component in the channel's unit (°C), added after the sensitivity, never multiplied by it.
  uncertaintyBudget: [{ channel: 'prt', components: [{ name: 'self-heating', u: 0.01 }] }],
};

function rec(over: Partial<CalibrationRecord>): CalibrationRecord {
  return {
    certificate: 'C',
    instrument: 'bridge',
    channel: 'prt',
    kind: 'calibration',
    calibrated: '2026-01-10',
    due: '2027-01-10',
    unit: '°C',
    errorTable: [],
    traceability: [],
    source: 'api',
    ...over,
  };
}

function reading(ch: string, raw: number | null): Reading {
  return {
    site: 'lab',
    instrument: 'bridge',
    channel: ch,
    quantity: 'temperature',
    unit: '°C',
    ts: T,
    seq: 1,
    raw,
    value: raw,
    quality: raw === null ? 'bad' : 'good',
    cal: NO_RECORD,
  };
}

function tagBatch(records: CalibrationRecord[], ...readings: Reading[]): Reading[] {
  new CalibrationEngine({ site: 'lab', instruments: [BRIDGE], records, log: silentLogger(), now: () => T }).tagBatch('bridge', readings);
  return readings;
}

describe('a PRT read in Ω', () => {
  it('without a record: value in °C from IEC 60751, raw kept in Ω with rawUnit', () => {
    const [r] = tagBatch([], reading('prt', 138.5055));
    expect(r).toMatchObject({ raw: 138.5055, rawUnit: 'Ω', quality: 'good', cal: { status: 'uncalibrated' } });
    expect(r!.value as number).toBeCloseTo(100, 6);
  });

  it("a sensor certificate in °C corrects the measurand, not raw (its indication is the characteristic's °C)", () => {
    // The sensor read 100.000 °C through the nominal characteristic at a reference of 99.92 °C.
    const sensor = rec({
      range: { min: 0, max: 100 },
      errorTable: [
        { reference: -0.05, indication: 0, error: 0.05, U: 0.02, k: 2 },
        { reference: 99.92, indication: 100, error: 0.08, U: 0.03, k: 2 },
      ],
    });
    const [r] = tagBatch([sensor], reading('prt', 138.5055));
    // On the 100 °C point: value = 100 − 0.08; u = √((0.03/2)² + 0.01²) = √3.25e-4 = 0.0180278 °C.
    expect(r!.value as number).toBeCloseTo(99.92, 6);
    expect(r!.u!).toBeCloseTo(0.0180278, 6);
    expect(r!.cal).toMatchObject({ status: 'valid', traceable: true });
    expect(r!.raw).toBe(138.5055);
  });

  it('an ohmmeter certificate in Ω corrects raw in Ω, then converts; u by dT/dR at the reading (GUM 5.1.3), by hand', () => {
    const ohmmeter = rec({
      unit: 'Ω',
      errorTable: [
        { reference: 100, indication: 100.01, error: 0.01, U: 0.004, k: 2 },
        { reference: 150, indication: 150.01, error: 0.01, U: 0.004, k: 2 },
      ],
    });
    const [r] = tagBatch([ohmmeter], reading('prt', 138.5155));
    // Corrected R = 138.5155 − 0.010 = 138.5055 Ω = 100 °C exactly (IEC 60751).
    expect(r!.value as number).toBeCloseTo(100, 6);
    // dR/dt at 100 °C = R0(A + 2B·100) = 100 × (3.9083e-3 − 1.155e-4) = 0.37928 Ω/°C, so dT/dR = 2.636575 °C/Ω;
    // u_cert = 0.004/2 Ω × 2.636575 = 0.0052731 °C; with self-heating 0.01 °C: √(0.0052731² + 0.01²) = 0.0113051 °C.
    expect(r!.u!).toBeCloseTo(0.0113051, 6);
    expect(r!.k).toBe(2);
    expect(r!.cal.traceable).toBe(true);
  });

  it('a resistance outside the characteristic keeps raw, has no value, says why and is not traceable', () => {
    const [r] = tagBatch([], reading('prt', 5));
    expect(r).toMatchObject({ raw: 5, rawUnit: 'Ω', value: null, quality: 'uncertain', reason: '5 Ω is outside the sensor characteristic' });
    // Under a valid record too (seen by hand: a misread register gave -12845056 Ω tagged traceable).
    const [under] = tagBatch([rec({ range: { min: 0, max: 100 } })], reading('prt', -12845056));
    expect(under).toMatchObject({
      value: null,
      quality: 'uncertain',
      cal: { status: 'valid', traceable: false, reason: "no measurand from the sensor characteristic (the reading's reason says why)" },
    });
  });

  it('a bad reading stays bad and null, with its unit stated', () => {
    const [r] = tagBatch([], reading('prt', null));
    expect(r).toMatchObject({ raw: null, value: null, quality: 'bad', rawUnit: 'Ω' });
  });
});

describe('a thermocouple with its cold junction on another channel', () => {
  it("adds the junction's emf from the same cycle, whatever the order of the batch", () => {
    // Type K: E(100 °C) = 4.096 mV, E(20 °C) = 0.798 mV (IEC 60584 tables): the pair reads 3.298 mV.
    const [tc, junction] = tagBatch([], reading('tc', 3.298), reading('junction', 20));
    expect(junction!.value).toBe(20);
    expect(tc!.rawUnit).toBe('mV');
    expect(tc!.value as number).toBeCloseTo(100, 1);
  });

  it("the junction's own u enters the thermocouple's by S(t_cj)/S(t) (GUM 5.1.3), by hand", () => {
    const flat = (channel: string, max: number, U: number) =>
      rec({
        channel,
        range: { min: 0, max },
        errorTable: [
          { reference: 0, indication: 0, error: 0, U, k: 2 },
          { reference: max, indication: max, error: 0, U, k: 2 },
        ],
      });
    const [tc, junction] = tagBatch([flat('tc', 200, 1.0), flat('junction', 50, 0.2)], reading('tc', 3.298), reading('junction', 20));
    expect(junction!.u!).toBeCloseTo(0.1, 9);
    // Type K (IEC 60584-1, 0…1372 °C: S = Σ i·c_i·t^(i−1) + 2·a1·(t − a2)·a0·e^(a1(t−a2)²)):
    // S(20 °C) = 0.0403292 mV/°C, S(100 °C) = 0.0413686 mV/°C, ratio 0.974875;
    // u = √(0.5² + (0.974875 × 0.1)²) = √(0.25 + 0.00950380) = 0.509415 °C (0.5 without the junction).
    expect(tc!.value as number).toBeCloseTo(100, 1);
    expect(tc!.u!).toBeCloseTo(0.509415, 5);
  });

  it("a readout certificate in mV corrects raw, then converts with the same cycle's junction", () => {
    // The readout reads 0.010 mV high: 3.308 mV corrected is 3.298 mV, with 20 °C at the junction 100 °C.
    const readout = rec({
      channel: 'tc',
      unit: 'mV',
      errorTable: [
        { reference: 0, indication: 0.01, error: 0.01, U: 0.002, k: 2 },
        { reference: 10, indication: 10.01, error: 0.01, U: 0.002, k: 2 },
      ],
    });
    const [tc] = tagBatch([readout], reading('tc', 3.308), reading('junction', 20));
    expect(tc!.cal).toMatchObject({ status: 'valid', traceable: true });
    expect(tc!.value as number).toBeCloseTo(100, 1);
    // u = 0.001 mV / S(100 °C) = 0.001 / 0.0413686 = 0.0241729 °C (the junction has no u here).
    expect(tc!.u!).toBeCloseTo(0.0241729, 5);
  });

  it('without a junction reading in the cycle it keeps raw and says which channel was missing', () => {
    const [tc] = tagBatch([], reading('tc', 3.298), reading('junction', null));
    expect(tc).toMatchObject({ raw: 3.298, value: null, quality: 'uncertain', reason: 'no cold junction temperature from channel junction in this cycle' });
  });
});

describe('rawUnit on the way out', () => {
  const [r] = tagBatch([], reading('prt', 138.5055));
  const batch = { site: 'lab', instrument: 'bridge', readings: [r!] };

  it('the spool keeps it', () => {
    expect(decodeBatch(encodeBatch(batch)).readings[0]!.rawUnit).toBe('Ω');
  });

  it('the MQTT payload and the line protocol carry it', () => {
    const wire = JSON.parse(serialiseBatch(batch, 'gw')) as { readings: { raw: number; rawUnit: string; unit: string }[] };
    expect(wire.readings[0]).toMatchObject({ raw: 138.5055, rawUnit: 'Ω', unit: '°C' });
    const out: string[] = [];
    new LineProtocolRenderer('reading').render({ ...batch, readings: [wire.readings[0] as never] }, out);
    expect(out[0]).toMatch(/[ ,]raw=138.5055,raw_unit="Ω"[ ,]/);
  });
});
