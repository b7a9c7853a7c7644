import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { statusPanelRows } from '../support/status-panel.js';
import { oneTo, restartableInfluxDB, storedSeqs, type Restartable } from './faults-fixture.js';
import { until } from '../support/until.js';

/** How long the outage lasts once the backlog is there: across several of the spool's retry rounds. */
const OUTAGE_ACROSS_RETRIES_MS = 2000;

/**
 * Fault 2 for the direct sink on one box without a broker (no mqtt section; spool → InfluxDB): InfluxDB stops while the
 * instruments keep being polled, the readings wait in the spool, and once it is back the backlog
 * is replayed from disk. For each instrument the stored seqs must be exactly 1..polled.
 */
describe('faults: InfluxDB goes away and comes back, written by the direct sink', () => {
  let influx: Restartable;
  const dirs: string[] = [];

  beforeAll(async () => {
    influx = await restartableInfluxDB();
  }, 60_000);
  afterAll(async () => {
    await influx?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a backlog spooled while InfluxDB was down is replayed after its restart: nothing lost, nothing duplicated', async () => {
    // One box, no broker: the lab's mqtt section is left out, so nothing may need one.
    const { config: lab, sim } = await demoLab('mqtt://127.0.0.1:1', influx.url, 100);
    const { mqtt: _noBroker, ...base } = lab;
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-influx-sink-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 30_000 },
      // A small window, so that nearly everything polled during the outage waits on disk.
      influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 8, lingerMs: 20, inOrder: true } },
    };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    expect(gateway.sinks.map((s) => s.name)).toEqual(['influx']);
    const sink = () => gateway.pipeline.spoolStats().find((s) => s.sink === 'influx')!;
    try {
      await until(() => sink().delivered > 0 && sink().connected, 'the first readings in InfluxDB', 30_000);
      await influx.stop();
      await until(() => sink().depth >= 200, 'readings to wait in the spool while InfluxDB is down', 30_000);
      expect(sink().connected).toBe(false);
      expect(sink().lastError).not.toBeNull();
      // The outage goes on across several of the spool's retry rounds (backoff) before InfluxDB is
      // back. A deliberate fault duration: no event marks a round (the sink logs the outage once).
      await new Promise((r) => setTimeout(r, OUTAGE_ACROSS_RETRIES_MS));
      const waiting = sink().depth;
      await influx.start();
      let replayed = false;
      await until(
        () => {
          replayed ||= sink().replaying;
          return sink().depth < 40;
        },
        'the spool to drain into the restarted InfluxDB',
        30_000,
      );
      expect(replayed).toBe(true);
      expect(waiting).toBeGreaterThan(200);
      expect(sink().connected).toBe(true);

      await gateway.stopPolling();
      const polled = new Map(config.instruments.map((i) => [i.id, gateway.pipeline.counters.get(i.id)!.polled]));
      expect(sink()).toMatchObject({ depth: 0, dropped: 0, rejected: 0 });
      for (const [id, n] of polled) {
        expect(gateway.pipeline.counters.get(id)!.delivered.influx, id).toBe(n);
        expect(n, id).toBeGreaterThan(20);
        // Every seq once: 1..n, no gap (lost) and, as storedSeqs returns every point, no duplicate.
        expect(await storedSeqs(influx.url, config.influx!.database, id), id).toEqual(oneTo(n));
      }
    } finally {
      await gateway.stop();
      await sim.stop();
    }
  }, 90_000);
  it('an instrument status changed while InfluxDB was down reaches the status panel after its restart; a superseded one never', async () => {
    const { config: lab, sim } = await demoLab('mqtt://127.0.0.1:1', influx.url, 200);
    const { mqtt: _noBroker, ...base } = lab;
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-influx-status-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      spool: { ...base.spool!, dir },
      influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 8, lingerMs: 20, inOrder: true } },
    };
    const logged: { msg?: string; key?: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg?: string; key?: string }) });
    const gateway = buildGateway(config, log, { drivers: true, ingest: false });
    await gateway.start();
    const db = { url: influx.url, database: config.influx!.database };
    const balance = async () => (await statusPanelRows(db, config.site, ['balance-01'])).get('balance-01');
    const record = (certificate: string, calibrated: number) =>
      gateway.calibration.addRecord({
        certificate,
        instrument: 'balance-01',
        kind: 'calibration',
        calibrated: localDate(calibrated),
        due: localDate(300),
        unit: 'g',
        range: { min: 0, max: 220 },
        errorTable: [],
        traceability: [],
        source: 'api',
      });
    try {
      await until(async () => (await balance())?.status === 'expired', 'balance-01 expired on the status panel');
      await influx.stop();
      await until(() => !gateway.pipeline.spoolStats().find((s) => s.sink === 'influx')!.connected, 'the sink to see InfluxDB gone');
      await record('E2E-SUPERSEDED', -2);
      await record('E2E-LATEST', -1);
      expect(gateway.pipeline.instrumentState('balance-01')!.cal.certificate).toBe('E2E-LATEST');
      // The latest status's write fails and is retried (backoff) before InfluxDB is back: two more
      // failures logged from here on are its own (a superseded value's failure is not logged).
      const from = logged.length;
      const retried = () => logged.slice(from).filter((l) => l.msg === 'instrument status not written; retried' && l.key === 'balance-01').length;
      await until(() => retried() >= 2, 'two failed, retried writes of the latest status', { observe: retried });
      await influx.start();
      await until(async () => (await balance())?.certificate === 'E2E-LATEST', 'the renewed status on the panel after the restart', 30_000);
      expect(await balance()).toMatchObject({ status: 'valid', traceable: 1 });
      const superseded = await influxSeries(
        db.url,
        db.database,
        `SELECT count("status") FROM "instrument_cal" WHERE "site" = '${config.site}' AND "certificate" = 'E2E-SUPERSEDED'`,
      );
      expect(rowsOf(superseded), 'points of the superseded status').toEqual([]);
    } finally {
      await gateway.stop();
      await sim.stop();
    }
  }, 90_000);
});
