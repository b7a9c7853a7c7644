/**
 * The roster a platform receives (site-roster v2): channel-scoped certificates kept per channel
 * and summarised per instrument, a stable capability entry per channel with U rounded up to two
 * significant digits at the point of largest u, and every certificate resolvable. A real engine
 * on a fixed clock; every roster is checked against the committed schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { capabilityOf, roundUpTwoDigits } from '../../gateway/sinks/cloud/capability.js';
import { RosterTracker } from '../../gateway/sinks/cloud/roster.js';
import { BATH, engineWith, record } from '../support/calibration-fixture.js';
import { ROOT } from '../support/e2e-fixture.js';

// The roster's schema alone: a platform needs no other file to validate a roster.
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'gateway/schemas/site-roster.schema.json'), 'utf8')) as object);
const validateRoster = ajv.getSchema('https://metrogate.dev/schemas/site-roster.v2.json')!;

const NOW = { t: new Date('2026-06-01T12:00:00+08:00').getTime() };

function rosterOf(records: Parameters<typeof engineWith>[0]) {
  const { engine } = engineWith(records, NOW);
  const tracker = new RosterTracker({ site: 'lab', gateway: 'gw', instruments: [BATH], calibration: engine });
  const roster = tracker.build(NOW.t);
  expect(validateRoster(roster), JSON.stringify(validateRoster.errors)).toBe(true);
  return roster;
}

describe('the roster (site-roster v2)', () => {
  it('keeps channel-scoped certificates: each channel its date, laboratory and kind, the instrument the worst of them', () => {
    const roster = rosterOf([
      record({ certificate: 'T-1', channel: 'temperature', laboratory: 'NIM', calibrated: '2026-01-10', due: '2027-01-10', kind: 'calibration' }),
      record({ certificate: 'P-7', channel: 'power', laboratory: 'SIMT', calibrated: '2025-06-20', due: '2026-06-20', kind: 'verification', unit: '%' }),
    ]);
    const bath = roster.instruments[0]!;
    const [temperature, power] = bath.channels;
    expect(temperature!.calibration).toMatchObject({
      status: 'valid',
      certificate: 'T-1',
      laboratory: 'NIM',
      calibrated: '2026-01-10',
      kind: 'calibration',
      sha256: null,
    });
    expect(power!.calibration).toMatchObject({ status: 'due_soon', certificate: 'P-7', laboratory: 'SIMT', calibrated: '2025-06-20', kind: 'verification' });
    // Not "uncalibrated": the worst channel with a record speaks for the instrument.
    expect(bath.calibration).toMatchObject({
      status: 'due_soon',
      certificate: 'P-7',
      laboratory: 'SIMT',
      calibrated: '2025-06-20',
      kind: 'verification',
      channel: 'power',
    });
    // Each reference resolves to exactly one certificate by (laboratory, certificate).
    for (const ch of bath.channels) {
      const found = roster.certificates.filter((c) => c.laboratory === ch.calibration.laboratory && c.certificate === ch.calibration.certificate);
      expect(found, ch.id).toHaveLength(1);
      expect(found[0]).toMatchObject({ instrument: 'bath', channel: ch.id });
    }
  });

  it('says uncalibrated only when no channel has a record', () => {
    const bath = rosterOf([]).instruments[0]!;
    expect(bath.calibration).toMatchObject({ status: 'uncalibrated', certificate: null, channel: null });
    expect(bath.channels.map((c) => c.capability)).toEqual([null, null]);
  });

  it('gives each channel a capability from its certificate: U rounded up to two digits at the point of largest u', () => {
    const roster = rosterOf([
      record({
        certificate: 'T-2',
        laboratory: 'NIM',
        calibrated: '2026-01-10',
        due: '2027-01-10',
        range: { min: -40, max: 150 },
        errorTable: [
          // Largest U (0.030 at k = 3: u = 0.010) is not the largest u (0.0241/2 = 0.01205).
          { reference: -40, indication: -39.98, error: 0.02, U: 0.03, k: 3 },
          { reference: 100, indication: 100.01, error: 0.01, U: 0.0241, k: 2 },
        ],
      }),
    ]);
    const temperature = roster.instruments[0]!.channels[0]!;
    expect(temperature.capability).toEqual({
      range: { min: -40, max: 150 },
      U: 0.025,
      k: 2,
      u: 0.013,
      method: 'calibration certificate error table',
      certificate: 'T-2',
      laboratory: 'NIM',
    });
    expect(temperature).toMatchObject({ quantity: 'temperature', unit: '°C', unitCode: 'Cel', dsiUnit: '\\degreecelsius', timeSource: 'gateway' });
    expect(roster).toMatchObject({ v: 2, timeZone: expect.any(String) });
  });

  it('is refused by the published schema when it breaks the contract', () => {
    const good = rosterOf([record({ certificate: 'T-1', laboratory: 'NIM', calibrated: '2026-01-10', due: '2027-01-10' })]);
    // [path, value]: each one thing the contract forbids (undefined: the field left out).
    const broken: [string, unknown][] = [
      ['instruments.0.calibration.status', 'fine'],
      ['instruments.0.channels.0.calibration.sha256', 'not-a-hash'],
      ['instruments.0.channels.0.timeSource', 'sundial'],
      ['instruments.0.channels.0.capability', undefined],
      ['certificates.0.calibrated', '10.01.2026'],
      ['certificates.0.extra', true],
      ['v', 1],
    ];
    for (const [path, value] of broken) {
      const r = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      const keys = path.split('.');
      const parent = keys.slice(0, -1).reduce((o, k) => o[k] as Record<string, unknown>, r);
      parent[keys.at(-1)!] = value;
      expect(validateRoster(JSON.parse(JSON.stringify(r))), path).toBe(false);
    }
  });

  it('rounds up, never down, and leaves two-digit values alone', () => {
    expect(roundUpTwoDigits(0.0241)).toBe(0.025);
    expect(roundUpTwoDigits(0.012)).toBe(0.012);
    expect(roundUpTwoDigits(1.201)).toBe(1.3);
    expect(roundUpTwoDigits(99.1)).toBe(100);
    expect(roundUpTwoDigits(0.006)).toBe(0.006);
    expect(capabilityOf(undefined)).toBeNull();
  });

  it("forgets a removed instrument's connection state: added back, it is not shown online before its driver says so", () => {
    const { engine } = engineWith([], NOW);
    const tracker = new RosterTracker({ site: 'lab', gateway: 'gw', instruments: [BATH], calibration: engine });
    const state = { instrument: BATH.id, online: true, since: NOW.t - 60_000, cal: engine.statusOf(BATH.id) };
    tracker.noteState(state);
    expect(tracker.build(NOW.t).instruments[0]).toMatchObject({ online: true });
    // The reload removes it (the pipeline announces its last state, marked removed), then adds it back.
    tracker.setInstruments([]);
    tracker.noteState({ ...state, online: false, since: NOW.t, removed: true });
    expect(tracker.build(NOW.t).instruments).toEqual([]);
    tracker.setInstruments([BATH]);
    expect(tracker.build(NOW.t).instruments[0]).toMatchObject({ id: BATH.id, online: null, since: null });
  });
});
