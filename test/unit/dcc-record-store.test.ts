import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { listRecords, loadRecords, recordPath, recordsDirOf, safeName, saveRecord } from '../../gateway/calibration/record-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrogate-records-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (over: Partial<CalibrationRecord> = {}): CalibrationRecord => ({
  certificate: 'CNAS-T 2026/0042',
  instrument: 'bath-01',
  kind: 'calibration',
  calibrated: '2026-01-10',
  due: '2027-01-10',
  unit: '°C',
  errorTable: [{ reference: 50, indication: 50.02, error: 0.02, U: 0.05, k: 2 }],
  traceability: [{ standard: 'SPRT 5187', certificate: 'PTB-2025-1234' }],
  source: 'dcc',
  ...over,
});

describe('record store: one JSON file per record', () => {
  it('writes <dir>/<instrument>/<certificate>.json with a safe, reversible file name, and reads it back', () => {
    const r = record();
    expect(saveRecord(dir, r)).toEqual({ file: join(dir, 'bath-01', 'CNAS-T%202026%2F0042.json'), outcome: 'created' });
    expect(JSON.parse(readFileSync(join(dir, 'bath-01', 'CNAS-T%202026%2F0042.json'), 'utf8'))).toEqual(r);
    expect(listRecords(dir)).toEqual([{ file: join(dir, 'bath-01', 'CNAS-T%202026%2F0042.json'), instrument: 'bath-01', certificate: 'CNAS-T 2026/0042' }]);
    expect(loadRecords(dir)).toEqual([r]);
    // No temporary file is left behind.
    expect(readdirSync(join(dir, 'bath-01'))).toEqual(['CNAS-T%202026%2F0042.json']);
  });

  it('keeps names that differ only in unsafe characters apart, and never escapes the folder', () => {
    expect(safeName('A/B')).toBe('A%2FB');
    expect(safeName('A_B')).toBe('A_B');
    expect(safeName('..')).toBe('%2E.');
    expect(safeName('温度-01')).toBe('%E6%B8%A9%E5%BA%A6-01');
    expect(recordPath(dir, '../etc', 'passwd')).toBe(join(dir, '%2E.%2Fetc', 'passwd.json'));
  });

  it('keeps one file per channel when a certificate covers several channels of an instrument', () => {
    const rh = record({ channel: 'humidity', unit: '%RH' });
    const t = record({ channel: 'temperature' });
    expect(saveRecord(dir, rh).file).toBe(join(dir, 'bath-01', 'CNAS-T%202026%2F0042@humidity.json'));
    expect(saveRecord(dir, t).outcome).toBe('created');
    expect(recordPath(dir, 'bath-01', 'a@b', 'c')).toBe(join(dir, 'bath-01', 'a%40b@c.json'));
    expect(listRecords(dir).map((e) => [e.certificate, e.channel])).toEqual([
      ['CNAS-T 2026/0042', 'humidity'],
      ['CNAS-T 2026/0042', 'temperature'],
    ]);
    expect(loadRecords(dir)).toEqual([rh, t]);
  });

  it('saving the same record again changes nothing; a different record under the same id is refused without replace', () => {
    saveRecord(dir, record({ sourceFile: '/a.xml' }));
    expect(saveRecord(dir, record({ sourceFile: '/copy/a.xml' })).outcome).toBe('unchanged');
    const changed = record({ due: '2026-12-31', sourceFile: '/b.xml' });
    expect(() => saveRecord(dir, changed)).toThrow(
      `${join(dir, 'bath-01', 'CNAS-T%202026%2F0042.json')}: already holds a different record for certificate CNAS-T 2026/0042 (imported from /a.xml); use --replace to overwrite it`,
    );
    expect(loadRecords(dir)[0]!.due).toBe('2027-01-10');
    expect(saveRecord(dir, changed, { replace: true }).outcome).toBe('replaced');
    expect(loadRecords(dir)).toEqual([changed]);
  });

  it('refuses to store an invalid record', () => {
    expect(() => saveRecord(dir, record({ due: '2026-01-10' }))).toThrow('due 2026-01-10 is not after calibrated 2026-01-10');
    expect(() => saveRecord(dir, { ...record(), kind: 'guess' } as unknown as CalibrationRecord)).toThrow('not a valid calibration record: /kind');
    expect(listRecords(dir)).toEqual([]);
  });

  it("loads every instrument's history, oldest calibration first", () => {
    saveRecord(dir, record({ certificate: 'B', calibrated: '2026-01-10', due: '2027-01-10' }));
    saveRecord(dir, record({ certificate: 'A', calibrated: '2025-01-10', due: '2026-01-10' }));
    saveRecord(dir, record({ instrument: 'balance-01', certificate: 'M1', unit: 'g' }));
    expect(loadRecords(dir).map((r) => `${r.instrument}/${r.certificate}`)).toEqual(['balance-01/M1', 'bath-01/A', 'bath-01/B']);
  });

  it('an empty or missing records dir holds no records', () => {
    expect(loadRecords(join(dir, 'nope'))).toEqual([]);
  });

  it('reports every broken file with its path instead of skipping it', () => {
    saveRecord(dir, record());
    mkdirSync(join(dir, 'dmm-01'));
    writeFileSync(join(dir, 'dmm-01', 'X.json'), '{"certificate": "X",');
    writeFileSync(join(dir, 'dmm-01', 'Y.json'), JSON.stringify(record({ instrument: 'dmm-01', certificate: 'Z' })));
    let message = '';
    try {
      loadRecords(dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${dir}: 2 broken record files:`);
    expect(message).toContain(`${join(dir, 'dmm-01', 'X.json')}: cannot read:`);
    expect(message).toContain(
      `${join(dir, 'dmm-01', 'Y.json')}: holds instrument "dmm-01" certificate "Z", but its path says instrument "dmm-01" certificate "Y"`,
    );
  });

  it('a single broken file is named with what is wrong in it', () => {
    mkdirSync(join(dir, 'bath-01'));
    writeFileSync(join(dir, 'bath-01', 'C.json'), JSON.stringify({ ...record({ certificate: 'C' }), errorTable: [{ reference: 1 }] }));
    expect(() => loadRecords(dir)).toThrow(
      `${join(dir, 'bath-01', 'C.json')}: not a valid calibration record: /errorTable/0 must have required property 'indication'`,
    );
  });

  it("takes a relative records dir from the config file's folder", () => {
    expect(recordsDirOf(undefined, '/etc/metrogate/site.yaml')).toBe('/etc/metrogate/calibration-records');
    expect(recordsDirOf('records', '/etc/metrogate/site.yaml')).toBe('/etc/metrogate/records');
    expect(recordsDirOf('/var/lib/metrogate/cal', '/etc/metrogate/site.yaml')).toBe('/var/lib/metrogate/cal');
  });
});
