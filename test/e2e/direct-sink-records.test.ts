import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab, localDate, ROOT } from '../support/e2e-fixture.js';
import { interpolate, loadDashboards, panelsOf, type VariableValues } from '../support/grafana-dashboards.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { until } from '../support/until.js';

/**
 * One box, no broker (config/examples/one-box.yaml's shape: `influx.sink` and no `mqtt`): the
 * calibration board's annotations and the gateway health dashboard read `cal_event` and
 * `gateway_stats`, which only the ingest role used to write. The direct sink must write them too,
 * so each dashboard query that reads them, interpolated as Grafana does, finds the points.
 */
const DASHBOARDS = loadDashboards(join(ROOT, 'dashboards', 'json'));

/** Every panel and annotation query of the shipped dashboards that selects from the measurement. */
function dashboardQueries(measurement: string): { where: string; query: string }[] {
  const out: { where: string; query: string }[] = [];
  for (const { file, json } of DASHBOARDS) {
    for (const a of json.annotations.list) {
      const q = a.target?.query;
      if (q?.includes(`FROM "${measurement}"`)) out.push({ where: `${file}: annotation ${a.name}`, query: q });
    }
    for (const p of panelsOf(json)) {
      for (const t of p.targets ?? [])
        if (t.query?.startsWith('SELECT') && t.query.includes(`FROM "${measurement}"`)) out.push({ where: `${file}: ${p.title}`, query: t.query });
    }
  }
  return out;
}

describe('one box, no broker: calibration events and gateway stats reach InfluxDB through the direct sink', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('a certificate imported while running lands as cal_event, the stats as gateway_stats, both found by the dashboards', async () => {
    const { config: lab, sim } = await demoLab('mqtt://127.0.0.1:1', inject('influxUrl'), 200);
    stops.push(() => sim.stop());
    const { mqtt: _noBroker, ...base } = lab;
    const config: MetrogateConfig = { ...base, influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false } } };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    stops.push(() => gateway.stop());
    await gateway.start();
    expect(gateway.sinks.map((s) => s.name)).toEqual(['influx']);
    const since = Date.now() - 60_000;

    // balance-01's certificate expired (its readings say so); the renewal is imported while the gateway runs.
    await until(() => gateway.pipeline.counters.get('balance-01')!.polled > 0, 'readings of balance-01 tagged expired', 30_000);
    await gateway.calibration.addRecord({
      certificate: 'E2E-RENEWED',
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

    const vars: VariableValues = new Map([
      ['site', { values: [config.site] }],
      ['instrument', { values: ['balance-01'] }],
      ['gateway', { values: ['e2e-gw'] }],
    ]);
    const run = async (query: string) => {
      const q = interpolate(query, vars, { from: since, to: Date.now() + 60_000 }, 1000);
      return rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
    };
    // The checks dashboard's annotation shows only quarantines and releases: a renewal is not one.
    const eventQueries = dashboardQueries('cal_event').filter((q) => !q.query.includes("'quarantined'"));
    const statsQueries = dashboardQueries('gateway_stats');
    expect(eventQueries.length, 'dashboard queries of cal_event').toBeGreaterThanOrEqual(3);
    expect(statsQueries.length, 'dashboard queries of gateway_stats').toBeGreaterThanOrEqual(5);

    const renewal = (rows: Record<string, unknown>[]) => rows.find((r) => r.to_status === 'valid' && r.from_status === 'expired');
    await until(async () => renewal(await run(eventQueries[0]!.query)) !== undefined, `the renewal in ${eventQueries[0]!.where}`, 15_000);
    for (const { where, query } of eventQueries) {
      const row = renewal(await run(query));
      expect(row, where).toBeDefined();
      expect(String(row!.text), where).toMatch(/^balance-01(\.mass)?: expired → valid \(new record E2E-RENEWED/);
    }
    const table = (await run(eventQueries.find((q) => q.query.includes('"certificate"'))!.query)).find((r) => r.to_status === 'valid')!;
    expect(table).toMatchObject({ certificate: 'E2E-RENEWED', due: localDate(300), kind: 'transition' });

    // Every panel has rows once a few stats went out (the rate panels need two of them).
    for (const { where, query } of statsQueries) await until(async () => (await run(query)).length > 0, `gateway stats in ${where}`, 15_000);
    const latest = (await run(statsQueries.find((q) => q.query.includes('last("polled")'))!.query))[0]!;
    expect(Number(latest.polled)).toBeGreaterThan(0);
    expect(latest).toMatchObject({ gateway: 'e2e-gw', errors: 0 });
  }, 60_000);
});
