import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { runCli, type CliResult } from '../support/cli.js';
import { ROOT } from '../support/e2e-fixture.js';

const fixture = (name: string) => join(ROOT, 'test', 'fixtures', 'dcc', name);
const PT100 = fixture('pt100-adjustment.xml');
const PRESSURE = fixture('pressure-gauge-dsi2.xml');
/** Channel records are `<certificate>@<channel>.json`; instrument-wide ones `<certificate>.json`. */
const PT100_JSON = 'MT-2026-0318%2FA.json';
const pt100Json = (channel: string) => `MT-2026-0318%2FA@${channel}.json`;
const PRESSURE_JSON = 'DKL-P%200042%202026@pressure.json';

const tmp = mkdtempSync(join(tmpdir(), 'metrogate-dcc-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A bath with a °C and a K channel and a pressure gauge in kPa; records in ./records beside the config. */
const SITE = `site: dcc-lab
mqtt:
  url: mqtt://127.0.0.1:1883
calibration:
  recordsDir: records
instruments:
  - id: bath-01
    protocol: modbus-tcp
    connection: { host: 127.0.0.1 }
    channels:
      - { id: temperature, address: 0, type: float32, quantity: temperature, unit: °C }
      - { id: temperature_k, address: 2, type: float32, quantity: temperature, unit: K }
      - { id: circulating, function: coil, address: 0, type: bool, quantity: status }
  - id: pressure-01
    protocol: modbus-tcp
    connection: { host: 127.0.0.1 }
    channels:
      - { id: pressure, address: 0, type: float32, quantity: pressure, unit: kPa }
`;

let config: string;
let records: string;
let labs = 0;
beforeEach(() => {
  const lab = join(tmp, `lab-${++labs}`);
  mkdirSync(lab);
  config = join(lab, 'site.yaml');
  records = join(lab, 'records');
  writeFileSync(config, SITE);
});

const dcc = (...args: string[]): Promise<CliResult> => runCli(['dcc', ...args]);

function stored(instrument: string, file: string): CalibrationRecord {
  return JSON.parse(readFileSync(join(records, instrument, file), 'utf8')) as CalibrationRecord;
}

const storedFiles = () => (existsSync(records) ? readdirSync(records, { recursive: true }).map(String).sort() : []);

// Each case spawns the CLI (about a second each on a loaded 2-core box): generous timeouts.
describe('metrogate dcc import (built CLI)', { timeout: 120_000 }, () => {
  it("imports into the config's records dir, converted into the channel's unit, with progress", async () => {
    const res = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'temperature_k');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      `[1/1] ${PT100}: certificate MT-2026-0318/A, calibrated 2026-03-18, due 2027-03-18 (recalibration period P12M in the certificate), 4 points in K, as-found 4 points, unsigned → ${join(records, 'bath-01', pt100Json('temperature_k'))} (new)`,
    );
    expect(res.stdout).toContain(`imported 1 record into ${records}`);
    const r = stored('bath-01', pt100Json('temperature_k'));
    expect(r).toMatchObject({
      certificate: 'MT-2026-0318/A',
      instrument: 'bath-01',
      channel: 'temperature_k',
      calibrated: '2026-03-18',
      due: '2027-03-18',
      unit: 'K',
      range: { min: 273.15, max: 423.15 },
      // As left pass, as found fail: each state keeps its own statement (issue 12).
      conformity: 'pass',
      asFoundConformity: 'fail',
      source: 'dcc',
      sourceFile: PT100,
    });
    expect(r.errorTable).toEqual([
      { reference: 273.162, indication: 273.17, error: 0.008, U: 0.025, k: 2 },
      { reference: 323.156, indication: 323.16, error: 0.004, U: 0.025, k: 2 },
      { reference: 373.153, indication: 373.14, error: -0.013, U: 0.03, k: 2 },
      { reference: 423.16, indication: 423.18, error: 0.02, U: 0.035, k: 2 },
    ]);
    expect(r.asFound?.map((p) => p.error)).toEqual([0.079, 0.116, 0.155, 0.242]);
  });

  it('imports into several instruments and channels, one file each; a certificate without a due date takes --due', async () => {
    const bath = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'temperature');
    expect(bath.code, bath.stderr).toBe(0);
    // The same certificate for the bath's kelvin channel is a record of its own, beside the °C one.
    const bathK = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'temperature_k');
    expect(bathK.code, bathK.stderr).toBe(0);
    const gauge = await dcc('import', PRESSURE, '--config', config, '--instrument', 'pressure-01', '--due', '2027-02-05');
    expect(gauge.code, gauge.stderr).toBe(0);
    expect(gauge.stdout).toContain('due 2027-02-05 (--due), 6 points in kPa');
    expect(storedFiles()).toEqual([
      'bath-01',
      join('bath-01', pt100Json('temperature')),
      join('bath-01', pt100Json('temperature_k')),
      'pressure-01',
      join('pressure-01', PRESSURE_JSON),
    ]);
    expect(stored('bath-01', pt100Json('temperature')).errorTable[0]).toEqual({ reference: 0.012, indication: 0.02, error: 0.008, U: 0.025, k: 2 });
    const p = stored('pressure-01', PRESSURE_JSON);
    expect(p).toMatchObject({ channel: 'pressure', unit: 'kPa', due: '2027-02-05', range: { min: 0, max: 1000 }, mpe: 0.6 });
    expect(p.errorTable[5]).toEqual({ reference: 1000, indication: 1000.42, error: 0.42, U: 0.1, k: 2 });
  });

  it('without --config: --unit and --records-dir, several files with n/N progress', async () => {
    const dir = join(tmp, `plain-${labs}`);
    const res = await dcc('import', PT100, fixture('pt100-adjustment.xml'), '--instrument', 'probe-7', '--unit', 'mK', '--records-dir', dir, '--dry-run');
    // The same file twice in one batch is one certificate twice: refused, nothing written.
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`[2/2] ${PT100}: certificate MT-2026-0318/A is also in ${PT100}`);
    const ok = await dcc('import', PT100, '--instrument', 'probe-7', '--unit', 'mK', '--records-dir', dir);
    expect(ok.code, ok.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, 'probe-7', PT100_JSON), 'utf8')) as CalibrationRecord;
    expect(r.unit).toBe('mK');
    expect(r.channel).toBeUndefined();
    expect(r.errorTable[0]).toEqual({ reference: 273162, indication: 273170, error: 8, U: 25, k: 2 });
  });

  it('a batch with one bad file imports nothing and names the file and the element (exit 2)', async () => {
    const res = await dcc(
      'import',
      PT100,
      fixture('wrong-units.xml'),
      fixture('not-xml.xml'),
      '--config',
      config,
      '--instrument',
      'bath-01',
      '--channel',
      'temperature',
    );
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(`[1/3] ${PT100}: certificate MT-2026-0318/A`);
    expect(res.stderr).toContain(
      `[2/3] ${fixture('wrong-units.xml')}: dcc:digitalCalibrationCertificate/dcc:measurementResults/dcc:measurementResult/dcc:results/dcc:result[refType=probeResults]/dcc:data/dcc:list/dcc:quantity[refType=basic_measurementError]: unit m cannot convert to °C`,
    );
    expect(res.stderr).toContain(`[3/3] ${fixture('not-xml.xml')}: not well-formed XML:`);
    expect(res.stderr).toContain('nothing imported: 2 of 3 files cannot be imported');
    expect(storedFiles()).toEqual([]);
  });

  it('each malformed fixture gets its own reason, in one batch', async () => {
    const cases: [string, string][] = [
      ['wrong-root.xml', 'report: not a DCC: root element <report>'],
      ['missing-table.xml', 'dcc:digitalCalibrationCertificate/dcc:measurementResults: no usable error table'],
      ['missing-date.xml', 'dcc:coreData/dcc:endPerformanceDate: missing: the calibration date (end of performance) is required'],
      ['correction-sign.xml', 'dcc:quantity[refType=basic_measurementError]: point 1: indication 0.05 − reference 0.01 = 0.04, but the error is -0.04'],
      ['no-such-file.xml', 'no such file'],
    ];
    const res = await dcc('import', ...cases.map(([file]) => fixture(file)), '--config', config, '--instrument', 'bath-01', '--channel', 'temperature');
    expect(res.code).toBe(2);
    const lines = res.stderr.split('\n');
    cases.forEach(([file, reason], i) => {
      const line = lines.find((l) => l.startsWith(`[${i + 1}/5] ${fixture(file)}: `));
      expect(line, file).toContain(reason);
    });
    expect(res.stderr).toContain('nothing imported: 5 of 5 files cannot be imported');
    expect(storedFiles()).toEqual([]);
  });

  it('a certificate without due date or interval needs --due or --interval-months, and says so', async () => {
    const res = await dcc('import', PRESSURE, '--config', config, '--instrument', 'pressure-01');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      'the certificate states no recalibration date or period (statement refType basic_recalibration): give the due date with --due YYYY-MM-DD or --interval-months N',
    );
    const ok = await dcc('import', PRESSURE, '--config', config, '--instrument', 'pressure-01', '--interval-months', '12');
    expect(ok.code, ok.stderr).toBe(0);
    expect(stored('pressure-01', PRESSURE_JSON).due).toBe('2027-02-05');
  });

  it('refuses to overwrite a different record with the same certificate id unless --replace; the same one is a no-op', async () => {
    const args = [PRESSURE, '--config', config, '--instrument', 'pressure-01'];
    expect((await dcc('import', ...args, '--due', '2027-02-05')).code).toBe(0);
    const again = await dcc('import', ...args, '--due', '2027-02-05');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(already stored, unchanged)');
    const other = await dcc('import', ...args, '--due', '2026-12-01');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `${join(records, 'pressure-01', PRESSURE_JSON)}: already holds a different record for certificate DKL-P 0042 2026 (channel pressure) (imported from ${PRESSURE}); use --replace to overwrite it`,
    );
    expect(stored('pressure-01', PRESSURE_JSON).due).toBe('2027-02-05');
    const replaced = await dcc('import', ...args, '--due', '2026-12-01', '--replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain('(replaces the stored record)');
    expect(stored('pressure-01', PRESSURE_JSON).due).toBe('2026-12-01');
  });

  it('--dry-run checks and writes nothing', async () => {
    const res = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'temperature', '--dry-run');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('dry run: 1 record checked, nothing written');
    expect(storedFiles()).toEqual([]);
  });

  it('checks the instrument and channel against the config', async () => {
    const unknown = await dcc('import', PT100, '--config', config, '--instrument', 'oven-9');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${config}: no instrument "oven-9" (instruments: bath-01, pressure-01)`);
    const noChannel = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'humidity');
    expect(noChannel.code).toBe(2);
    expect(noChannel.stderr).toContain('instrument bath-01 has no channel "humidity" (channels: temperature (°C), temperature_k (K), circulating (no unit))');
    const ambiguous = await dcc('import', PT100, '--config', config, '--instrument', 'bath-01');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('instrument bath-01 has channels temperature (°C), temperature_k (K): give --channel ID');
    const wrongQuantity = await dcc('import', PT100, '--config', config, '--instrument', 'pressure-01');
    expect(wrongQuantity.code).toBe(2);
    expect(wrongQuantity.stderr).toContain('unit °C cannot convert to kPa');
    expect(storedFiles()).toEqual([]);
  });

  it('rejects bad arguments with exit 2 and the usage', async () => {
    const cases: [string[], string][] = [
      [['import', PT100, '--unit', '°C'], 'import needs --instrument ID'],
      [['import', '--instrument', 'x', '--unit', '°C'], 'import needs at least one FILE.xml'],
      [['import', PRESSURE, '--instrument', 'x', '--due', '2027-02-30'], '--due "2027-02-30": expected a date YYYY-MM-DD'],
      [['import', PRESSURE, '--instrument', 'x', '--due', '2027-02-01', '--interval-months', '6'], 'give either --due or --interval-months, not both'],
      [['import', PRESSURE, '--instrument', 'x', '--interval-months', '0'], '--interval-months "0": expected a whole number of months from 1 to 240'],
      [['import', PRESSURE, '--instrument', 'x', '--unit', 'furlong'], '--unit "furlong": unknown unit symbol "furlong"'],
      [['import', PRESSURE, '--instrument', 'x', '--frobnicate'], "Unknown option '--frobnicate'"],
      [['export', PRESSURE], 'unknown dcc command "export" (import, show or verify)'],
    ];
    for (const [args, message] of cases) {
      const res = await dcc(...args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr, args.join(' ')).toContain(message);
      expect(res.stderr, args.join(' ')).toContain('metrogate dcc import FILE.xml...');
    }
  });
});

describe('metrogate dcc show (built CLI)', { timeout: 120_000 }, () => {
  it("prints identification, dates and the tables in the channel's unit", async () => {
    const res = await dcc('show', PT100, '--config', config, '--instrument', 'bath-01', '--channel', 'temperature_k');
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).toContain('certificate: MT-2026-0318/A (DCC schema 3.2.1)');
    expect(lines).toContain('laboratory: Musterlabor Temperatur GmbH (D-K-99999-01-00)');
    expect(lines).toContain('calibrated: 2026-03-18 (performed 2026-03-16 to 2026-03-18)');
    expect(lines).toContain('due: 2027-03-18 (recalibration period P12M)');
    expect(lines).toContain('validity range: 273.15 to 423.15 K');
    expect(lines).toContain('conformity as left: pass, as found: fail (tolerance ±0.15 K)');
    expect(lines).toContain('verdict as left: pass (simple acceptance against MPE ±0.15; point 4 (reference 423.16): error 0.02 (U 0.035), limit 0.15)');
    expect(lines).toContain(
      'verdict as found: fail (simple acceptance against MPE ±0.15; point 4 (reference 423.158): error 0.242 (U 0.035), limit 0.15) → readings since the last good calibration are suspect',
    );
    expect(lines).toContain('SPRT 5187, certificate PTB-2025-1234');
    expect(lines).toContain('as-left error table (after adjustment) (K, 4 points, conformity pass)');
    expect(lines).toContain('reference indication error U k');
    expect(lines).toContain('273.162 273.17 0.008 0.025 2');
    expect(lines).toContain('as-found error table (before adjustment) (K, 4 points, conformity fail)');
    expect(lines).toContain('423.158 423.4 0.242 0.035 2');
  });

  it('with --unit and no config; a bad file exits 2', async () => {
    const res = await dcc('show', PRESSURE, '--unit', 'mbar');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' '))).toContain('2000 2001.1 1.1 0.6 2');
    const bad = await dcc('show', fixture('wrong-root.xml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${fixture('wrong-root.xml')}: report: not a DCC`);
  });
});
