import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { InfluxSink } from '../../gateway/sinks/influx/influx-sink.js';
import { startCli, untilOutput } from '../support/cli.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { latestSummary, storedReadingCount, summaryPoints } from '../support/instrument-cal-points.js';
import { statusPanelRows } from '../support/status-panel.js';
import { until } from '../support/until.js';
import { restartableInfluxDB, type Restartable } from './faults-fixture.js';

const IDS = ['bath-01', 'pressure-01', 'balance-01', 'dmm-01'];
const KEPT = IDS.filter((id) => id !== 'balance-01');

/**
 * One box, no broker: the direct sink writes `instrument_cal`, the calibration board's status
 * panel reads it. An instrument removed from the config by a hot reload must leave the panel (it is
 * no longer a live instrument) while its history (earlier status points, its readings) stays; a
 * status of it that was waiting for a down InfluxDB must not be written after its removal, and the
 * sink must not keep a slot for it.
 */
describe('hot reload, one box: a removed instrument leaves the status panel, its history stays', () => {
  let influx: Restartable;
  const dirs: string[] = [];
  /** The status panel's rows as last read (what a failed wait reports). */
  let rows = new Map<string, Record<string, unknown>>();
  beforeAll(async () => {
    influx = await restartableInfluxDB();
  }, 60_000);
  afterAll(async () => {
    await influx?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The demo lab as a one-box site: no mqtt section, the direct sink on, its own spool. */
  async function oneBox(tag: string): Promise<{ config: MetrogateConfig; stopSim: () => Promise<void> }> {
    const { config: lab, sim } = await demoLab('mqtt://127.0.0.1:1', influx.url, 200);
    const { mqtt: _noBroker, ...base } = lab;
    const dir = mkdtempSync(join(tmpdir(), `metrogate-removed-${tag}-`));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      spool: { ...base.spool!, dir: join(dir, 'spool') },
      influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false } },
    };
    return { config, stopSim: () => sim.stop() };
  }

  it('metrogate run --watch: rewriting the config without an instrument drops it from the panel; its points stay', async () => {
    const { config, stopSim } = await oneBox('cli');
    const file = join(dirs.at(-1)!, 'site.yaml');
    const base = { ...config, gateway: { id: 'e2e-gw', logLevel: 'info' }, api: { enabled: false }, ingest: { enabled: false } };
    writeFileSync(file, stringify(base));
    const db = { url: influx.url, database: config.influx!.database, measurement: config.influx!.measurement };
    const panel = () => statusPanelRows(db, config.site, IDS);
    const gw = startCli(['run', '--config', file, '--watch']);
    try {
      await untilOutput(gw, 'metrogate started', 15_000);
      await until(
        async () => {
          rows = await panel();
          return IDS.every((id) => rows.get(id)?.online === 1);
        },
        'every instrument online on the status panel',
        { timeoutMs: 20_000, observe: () => [...rows.keys()] },
      );
      const balanceReadings = await storedReadingCount(db, config.site, 'balance-01');
      expect(balanceReadings).toBeGreaterThan(0);

      writeFileSync(file, stringify({ ...base, instruments: config.instruments.filter((i) => i.id !== 'balance-01') }));
      await untilOutput(gw, 'config reloaded', 10_000);
      await until(async () => !(rows = await panel()).has('balance-01'), 'balance-01 gone from the status panel', {
        timeoutMs: 15_000,
        observe: () => rows.get('balance-01'),
      });
      // The others are still there, live; the removed one's last word says why it left.
      for (const id of KEPT) expect(rows.get(id), id).toMatchObject({ online: 1 });
      expect(await latestSummary(db, config.site, 'balance-01')).toMatchObject({ status: 'removed', online: 0, certificate: 'E2E-EXPIRED' });
      // History stays: its earlier status (expired) and every reading it produced.
      expect(await summaryPoints(db, config.site, 'balance-01', `"status" = 'expired'`)).toBeGreaterThan(0);
      expect(await storedReadingCount(db, config.site, 'balance-01')).toBeGreaterThanOrEqual(balanceReadings);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.done;
      await stopSim();
    }
  }, 60_000);

  it('a status waiting for a down InfluxDB is superseded by the removal: never written after it, no slot left', async () => {
    const { config, stopSim } = await oneBox('outage');
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    const sink = gateway.sinks.find((s) => s.name === 'influx') as InfluxSink;
    const db = { url: influx.url, database: config.influx!.database };
    const panel = () => statusPanelRows(db, config.site, IDS);
    try {
      await until(async () => (rows = await panel()).get('balance-01')?.status === 'expired', 'balance-01 expired on the status panel', 20_000);
      await influx.stop();
      await until(() => !sink.connected(), 'the sink to see InfluxDB gone');
      // A renewal while InfluxDB is down: its status waits in the sink, retried with backoff.
      await gateway.calibration.addRecord({
        certificate: 'E2E-STALE',
        instrument: 'balance-01',
        kind: 'calibration',
        calibrated: localDate(-1),
        due: localDate(300),
        unit: 'g',
        range: { min: 0, max: 220 },
        errorTable: [],
        traceability: [],
        source: 'api',
      });
      expect(gateway.pipeline.instrumentState('balance-01')!.cal.certificate).toBe('E2E-STALE');
      const plan = await gateway.reload({ ...config, instruments: config.instruments.filter((i) => i.id !== 'balance-01') });
      expect(plan.removed).toEqual(['balance-01']);
      expect(gateway.pipeline.instrumentState('balance-01')).toBeUndefined();
      await influx.start();
      await until(
        async () => (await latestSummary(db, config.site, 'balance-01'))?.status === 'removed',
        "balance-01's removal written after InfluxDB's restart",
        30_000,
      );
      // The kept instruments' statuses may still wait for their retry after InfluxDB's restart.
      const kept = [...KEPT].sort().join();
      await until(async () => [...(rows = await panel()).keys()].sort().join() === kept, 'the panel showing the kept instruments only', 30_000);
      expect([...rows.keys()].sort()).toEqual([...KEPT].sort());
      // The removal superseded the waiting renewal: it never reached InfluxDB, and nothing of the
      // removed instrument is kept in the sink (the others' slots stay for their next status).
      // (balance-01 was expired until E2E-STALE: a valid point of it could only be that status.)
      expect(await summaryPoints(db, config.site, 'balance-01', `"status" = 'valid'`), 'points of the stale status').toBe(0);
      expect(sink.statusKeys().sort()).toEqual([...KEPT].sort());
    } finally {
      await gateway.stop();
      await stopSim();
    }
  }, 90_000);
});
