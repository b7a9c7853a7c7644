/**
 * Calibration records and impact reports are created 0600 in 0700 folders whatever the umask
 * (issue 16): written here with a umask of 0, which would leave them world-writable if the modes
 * came from it. The report is written by the real code path, counting in the suite's InfluxDB.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { saveRecord } from '../../gateway/calibration/record-store.js';
import { ensureDatabase } from '../../gateway/influx/ensure-database.js';
import { writeImpactReport } from '../../gateway/calibration/impact-report.js';
import type { InfluxConfig } from '../../config/schema.js';
import { uniqueName } from '../support/e2e-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'metrogate-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let umask: number;
beforeEach(() => (umask = process.umask(0)));
afterEach(() => void process.umask(umask));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('files are not for every local user', () => {
  it('a calibration record: 0600 in 0700 folders, also the folders it had to create', () => {
    const dir = join(root, 'records', 'nested');
    const { file } = saveRecord(dir, {
      certificate: 'C-1',
      instrument: 'bath-01',
      kind: 'calibration',
      calibrated: '2026-01-10',
      due: '2027-01-10',
      unit: '°C',
      errorTable: [{ reference: 50, indication: 50.02, error: 0.02, U: 0.05, k: 2 }],
      traceability: [],
      source: 'config',
    });
    expect(mode(file)).toBe(0o600);
    for (const d of [join(dir, 'bath-01'), dir, join(root, 'records')]) expect(mode(d), d).toBe(0o700);
  });

  it('an impact report, .md and .json: 0600 in a 0700 folder', async () => {
    const influx = {
      url: inject('influxUrl'),
      database: uniqueName('db'),
      measurement: 'reading',
      batchSize: 5000,
      flushIntervalMs: 1000,
      writeConcurrency: 2,
    } as InfluxConfig;
    await ensureDatabase(influx);
    const dir = join(root, 'reports');
    const report = await writeImpactReport(
      {
        site: 'lab',
        instrument: 'bath-01',
        channel: 'temperature',
        kind: 'suspect',
        ts: Date.now(),
        due: null,
        from: 'valid',
        to: 'out_of_tolerance',
        certificate: 'C-2',
        reason: 'as-found error beyond the MPE',
        suspectFrom: Date.now() - 86_400_000,
        suspectTo: Date.now(),
      },
      'gw',
      influx,
      dir,
    );
    expect(mode(dir)).toBe(0o700);
    const files = readdirSync(dir);
    expect(files.sort()).toEqual([`${report.file.split('/').at(-1)!.replace(/\.md$/, '.json')}`, report.file.split('/').at(-1)!].sort());
    for (const f of files) expect(mode(join(dir, f)), f).toBe(0o600);
  });
});
