/** `metrogate dcc import|show` of a resistance thermometer's certificate, through the built CLI. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/e2e-fixture.js';

const PRT = join(ROOT, 'test/fixtures/dcc/prt-resistance.xml');
const tmp = mkdtempSync(join(tmpdir(), 'metrogate-dcc-sensor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A bridge with a Pt100 channel (nominal IEC 60751) and a plain °C channel. */
const SITE = `site: prt-lab
mqtt:
  url: mqtt://127.0.0.1:1883
calibration:
  recordsDir: records
instruments:
  - id: bridge-01
    protocol: modbus-tcp
    connection: { host: 127.0.0.1 }
    channels:
      - id: prt
        address: 0
        type: float32
        quantity: temperature
        unit: °C
        characteristic: { type: cvd, R0: 100, A: 3.9083e-3, B: -5.775e-7, C: -4.183e-12 }
      - { id: plain, address: 2, type: float32, quantity: temperature, unit: °C }
`;
const config = join(tmp, 'site.yaml');
writeFileSync(config, SITE);

describe('metrogate dcc with a resistance thermometer certificate (built CLI)', { timeout: 60_000 }, () => {
  it('imports into the channel with a characteristic: a record in °C, U carried from Ω', async () => {
    const res = await runCli(['dcc', 'import', PRT, '--config', config, '--instrument', 'bridge-01', '--channel', 'prt']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      'certificate PRT-2026-0077, calibrated 2026-02-04, due 2028-02-04 (recalibration period P24M in the certificate), 5 points in °C',
    );
    const record = JSON.parse(readFileSync(join(tmp, 'records', 'bridge-01', 'PRT-2026-0077@prt.json'), 'utf8')) as CalibrationRecord;
    // By hand (IEC 60751 inverse, see test/unit/dcc-sensor-certificate.test.ts): 138.5404 Ω → 100.092018 °C; U = 0.0040 Ω × 2.63665 °C/Ω.
    expect(record.errorTable[3]).toEqual({ reference: 100.007, indication: 100.092018, error: 0.085018, U: 0.010547, k: 2 });
  });

  it('refuses the channel without one, naming Ω and what to add (exit 2, nothing written)', async () => {
    const res = await runCli(['dcc', 'import', PRT, '--config', config, '--instrument', 'bridge-01', '--channel', 'plain', '--dry-run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("the indication is in Ω and the measurand in °C: a sensor's certificate imports into a channel with a characteristic");
    expect(res.stderr).not.toContain('\\ohm');
  });

  it("show prints the table in Ω, the channel's characteristic, the fitted coefficients and residuals", async () => {
    const res = await runCli(['dcc', 'show', PRT, '--config', config, '--instrument', 'bridge-01', '--channel', 'prt']);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).toContain('sensor table as stated: reference (°C) against indication (Ω), 5 points');
    expect(lines).toContain('100.007 138.5404 0.004 2');
    expect(lines).toContain('characteristic: Callendar–Van Dusen (IEC 60751): R0 100 Ω, A 0.0039083, B -5.775e-7, C -4.183e-12');
    const fitted = lines.find((l) => l.startsWith('fitted Callendar–Van Dusen'));
    expect(fitted).toMatch(
      /^fitted Callendar–Van Dusen \(least squares\): R0 100\.0200\d* Ω, A 0\.003909\d*, B -5\.7999\d*e-7, C -4\.2\d*e-12; largest residual 0\.0\d+ mK$/,
    );
    expect(lines).toContain('reference residual Ω residual mK');
    expect(lines).toContain('100.007 100.092018 0.085018 0.010547 2');
  });

  it('show without a config still prints the table and the fit, and says import needs a characteristic', async () => {
    const res = await runCli(['dcc', 'show', PRT]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("characteristic: none given (import needs the channel's)");
    expect(res.stdout).toContain('fitted Callendar–Van Dusen (least squares): R0 100.02');
  });
});
