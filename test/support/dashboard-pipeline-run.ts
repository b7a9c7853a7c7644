/**
 * The data the shipped dashboards are checked on (test/e2e/dashboard-queries.test.ts): the demo
 * lab end to end through a real gateway, broker, ingest and InfluxDB, with a certificate imported
 * while it runs, a spell of device exceptions and a hole in storage that gap repair fills. Then
 * every dashboard's queries run as Grafana would. What the gateway itself counted along the way
 * is kept beside the runs: the source of truth the panels are checked against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { type BrokerConfig, demoLab, localDate, ROOT } from './e2e-fixture.js';
import { CHECKS_UID, loadDashboards } from './grafana-dashboards.js';
import { runDashboard, type Run } from './grafana-run.js';
import { influxSeries } from './influx-query.js';
import { untilStoredReadings } from './stored-readings.js';
import { until } from './until.js';

export const dashboards = loadDashboards(join(ROOT, 'dashboards/json'));

/**
 * Where Grafana would take a variable's first value, the test picks what a user looking at the
 * calibrated bath would: its temperature channel, the one whose certificate gives an uncertainty.
 * Everything else is Grafana's default: "All" where a variable offers it, else the first value.
 */
const SELECTED: Record<string, Record<string, string[]>> = {
  'metrogate-instrument-detail': { instrument: ['bath-01'], channel: ['temperature'] },
};

/** bath-01's certificate in this run: a constant error of +0.015 °C, U = 0.02 °C (k = 2), 1 mK resolution. */
export const BATH_ERROR = 0.015;
export const BATH_U = Math.sqrt(0.01 ** 2 + (0.001 / (2 * Math.sqrt(3))) ** 2);
export const BATH_SERVED = 25;

/** Imported while the gateway runs (as by the API or a DCC import): the bath turns from uncalibrated to valid. */
function bathCertificate(): CalibrationRecord {
  return {
    certificate: 'E2E-BATH',
    instrument: 'bath-01',
    kind: 'calibration',
    calibrated: localDate(-100),
    due: localDate(200),
    unit: '°C',
    errorTable: [
      { reference: 20, indication: 20 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
      { reference: 30, indication: 30 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
    ],
    resolution: 0.001,
    traceability: [{ standard: 'SPRT E2E', certificate: 'E2E-SPRT' }],
    source: 'api',
  };
}

/** The demo lab with its state in `scratch`, the bath without a record, and an ingest whose gap repair checks often. */
function pipelineConfig(config: BrokerConfig, scratch: string): BrokerConfig {
  // The spool, the calibration records the gateway keeps and its reports go to a scratch folder.
  config.spool = { ...(config.spool ?? DEFAULT_SPOOL), dir: join(scratch, 'spool') };
  config.calibration = { ...config.calibration, recordsDir: join(scratch, 'records'), reportsDir: join(scratch, 'reports') };
  const bath = config.instruments.find((i) => i.id === 'bath-01')!;
  delete bath.calibration;
  // Gap repair checks often, so that the readings removed below are found and re-sent in time.
  config.ingest = {
    enabled: true,
    sites: [config.site],
    sessionExpirySeconds: 3600,
    maxAgeDays: 400,
    maxAheadMinutes: 60,
    repair: { enabled: true, checkIntervalMs: 300, graceMs: 3000, retryMs: 2000, maxAttempts: 10, maxRangeReadings: 500 },
  };
  return config;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class DashboardPipelineRun {
  config!: BrokerConfig;
  gateway!: Gateway;
  private sim: Simulator | undefined;
  /** The query runs per dashboard uid, and each by its `where`. */
  readonly runs = new Map<string, Run[]>();
  readonly panelRuns = new Map<string, Run>();
  /** Readings the gateway tagged not traceable, per instrument: what the calibration board must count. */
  readonly notTraceable = new Map<string, number>();
  /** The same by instrument and status: a valid instrument's reading outside what its record covers counts too. */
  readonly notTraceableByStatus = new Map<string, number>();
  /** What gap repair had asked for and got back when the gateway stopped. */
  repairsCounted = { requestedReadings: 0, repairedReadings: 0 };
  private readonly scratch = mkdtempSync(join(tmpdir(), 'metrogate-dashboards-'));

  /** Runs the pipeline to its end, then every dashboard but the checks one on what it stored. */
  async run(mqttUrl: string, influxUrl: string): Promise<void> {
    const lab = await demoLab(mqttUrl, influxUrl);
    this.sim = lab.sim;
    this.config = pipelineConfig(lab.config, this.scratch);
    this.sim.device('bath-01').set('temperature', BATH_SERVED);
    this.gateway = buildGateway(this.config, silentLogger(), { drivers: true, ingest: true });
    this.countNotTraceable();
    await this.gateway.start();
    this.repairsCounted = await this.drive(this.sim);

    // The checks dashboard runs on a gateway with checks configured (dashboard-checks.test.ts).
    const influx = { url: this.config.influx!.url, database: this.config.influx!.database };
    for (const { json } of dashboards.filter((d) => d.json.uid !== CHECKS_UID)) this.runs.set(json.uid, await runDashboard(json, influx, SELECTED));
    for (const list of this.runs.values()) for (const r of list) this.panelRuns.set(r.where, r);
  }

  async close(): Promise<void> {
    await this.sim?.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private countNotTraceable(): void {
    this.gateway.pipeline.onReadings((batch) => {
      const n = batch.readings.filter((r) => !r.cal.traceable).length;
      this.notTraceable.set(batch.instrument, (this.notTraceable.get(batch.instrument) ?? 0) + n);
      for (const r of batch.readings) {
        const key = `${batch.instrument} ${r.cal.status}`;
        if (!r.cal.traceable) this.notTraceableByStatus.set(key, (this.notTraceableByStatus.get(key) ?? 0) + 1);
      }
    });
  }

  /** The lab's story, from the first polls to a stopped gateway; resolves with gap repair's counts. */
  private async drive(sim: Simulator): Promise<{ requestedReadings: number; repairedReadings: number }> {
    const { gateway, config } = this;
    await sleep(2500);
    await gateway.calibration.addRecord(bathCertificate());
    await sleep(2500);
    // A device that answers an exception for a while: bad readings for the quality panels.
    sim.device('bath-01').setFaults({ exception: { code: 4, function: 'input', address: 0, quantity: 2 } });
    await sleep(1000);
    sim.device('bath-01').clearFaults();
    // Storage loses the pressure gauge's last second (as after an InfluxDB restore from an older
    // backup): newer than any last seq gap repair counts yet, so it finds the hole and has it re-sent.
    await influxSeries(config.influx!.url, config.influx!.database, `DELETE FROM "reading" WHERE "instrument" = 'pressure-01' AND time > now() - 1s`);
    // Long enough for gateway_stats (every second here) to fill two of the health panels' 10 s buckets.
    await sleep(7000);
    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + (c.delivered.mqtt ?? 0), 0);
    await untilStoredReadings(config.influx!, published);
    // Gap repair re-stores what was deleted; a wait that ends means it did.
    await until(() => gateway.ingest!.repairs()!.repairedReadings > 0, 'gap repair to re-store the deleted readings', {
      observe: () => gateway.ingest!.repairs(),
    });
    // The ingest forgets its connection (and the repair counts with it) when it stops.
    const counted = { ...gateway.ingest!.repairs()! };
    await gateway.stop();
    return counted;
  }
}
