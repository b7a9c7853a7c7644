import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import type { CheckResult } from '../../gateway/checks/check-result.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { until } from '../support/until.js';

/**
 * InfluxDB 1.x keeps one point per measurement, tag set and timestamp: a second point with all
 * three equal overwrites the first. Check results an operator records in one millisecond, and
 * the suspect periods and impact reports of two certificates taken in one scan, have equal tags:
 * each must still be its own point, through the ingest (MQTT → InfluxDB) and through the direct
 * sink (spool → InfluxDB). The clock is held still while they are recorded (the only mock), and
 * the stored points are counted with a raw /query.
 */
const RESULTS = [25.001, 24.999, 25.002];

/** Date.now as the gateway sees it: the real clock, or `frozen` while the test holds it still. */
const clock: { frozen: number | null } = { frozen: null };
const realNow = Date.now;

/** Two certificates of the bath whose as-found data failed: each raises a suspect period at once. */
function failedAsFound(certificate: string, daysAgo: number): CalibrationRecord {
  return {
    certificate,
    instrument: 'bath-01',
    channel: 'temperature',
    kind: 'calibration',
    calibrated: localDate(-daysAgo),
    due: localDate(300),
    unit: '°C',
    mpe: 0.1,
    asFound: [{ reference: 23, indication: 23.3, error: 0.3, U: 0.02, k: 2 }],
    errorTable: [
      { reference: 0, indication: 0.05, error: 0.05, U: 0.02, k: 2 },
      { reference: 100, indication: 100.05, error: 0.05, U: 0.02, k: 2 },
    ],
    traceability: [{ standard: 'SPRT', certificate: 'NIM-T-1' }],
    source: 'dcc',
  };
}

/** The demo lab with an operator's check of the bath, through the ingest or the direct sink. */
async function lab(path: 'ingest' | 'direct'): Promise<{ config: MetrogateConfig; sim: Simulator; gateway: Gateway }> {
  const { config: base, sim } = await demoLab(path === 'ingest' ? inject('mqttUrl') : 'mqtt://127.0.0.1:1', inject('influxUrl'));
  const { mqtt, ...rest } = base;
  const config: MetrogateConfig =
    path === 'ingest' ? { ...rest, mqtt } : { ...rest, influx: { ...rest.influx!, sink: { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false } } };
  config.checks = {
    dir: `${config.spool!.dir}-checks`,
    series: [
      {
        id: 'bath-cell',
        instrument: 'bath-01',
        channel: 'temperature',
        standard: { value: 25, U: 0.01, rule: 'en' },
        chart: { baseline: 20 },
        cusum: { k: 0.5, h: 5 },
        quarantineOn: ['fail'],
      },
    ],
  };
  const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: path === 'ingest' });
  await gateway.start();
  return { config, sim, gateway };
}

/** Three check results and two certificates' findings, all in one millisecond of the gateway's clock. */
function recordInOneMillisecond(gateway: Gateway): { at: number; results: CheckResult[] } {
  const at = realNow();
  clock.frozen = at;
  try {
    const results = RESULTS.map((measured) => gateway.checks!.record('bath-cell', { measured, by: 'e2e' }));
    // What the records dir's scan does with two certificates it finds at once (live-records.ts).
    gateway.calibration.adopt(failedAsFound('SAME-MS-1', 2), true);
    gateway.calibration.adopt(failedAsFound('SAME-MS-2', 1), true);
    return { at, results };
  } finally {
    clock.frozen = null;
  }
}

describe.each(['ingest', 'direct'] as const)('results and findings of one millisecond, each its own InfluxDB point (%s)', (path) => {
  let running: { config: MetrogateConfig; sim: Simulator; gateway: Gateway } | undefined;

  beforeAll(() => {
    // Before the gateway is built: its engine and check runner take Date.now as their clock then.
    vi.spyOn(Date, 'now').mockImplementation(() => clock.frozen ?? realNow());
  });
  afterAll(async () => {
    await running?.gateway.stop();
    await running?.sim.stop();
    vi.restoreAllMocks();
  });

  it('three check results and two suspect findings in one ms: 3 check_result and 2 cal_event points, then 2 impact reports', async () => {
    running = await lab(path);
    const { config, gateway } = running;
    const influx = async (q: string) => rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
    const { at, results } = recordInOneMillisecond(gateway);
    expect(results.map((r) => [r.n, r.ts, r.verdict])).toEqual([
      [1, at, 'pass'],
      [2, at, 'pass'],
      [3, at, 'pass'],
    ]);

    const checkPoints = `SELECT "n", "measured" FROM "check_result" WHERE "check" = 'bath-cell'`;
    await until(async () => (await influx(checkPoints)).length >= RESULTS.length, 'every check_result point', {
      timeoutMs: 15_000,
      observe: () => influx(checkPoints),
    });
    // Grafana asks with epoch=ms: every result at the millisecond it was recorded, in the order recorded.
    expect(await influx(checkPoints)).toEqual(RESULTS.map((measured, i) => ({ time: at, n: i + 1, measured })));
    const [count] = await influx(`SELECT count("n") AS "points" FROM "check_result" WHERE "check" = 'bath-cell'`);
    expect(count!.points).toBe(RESULTS.length);

    const suspects = `SELECT "certificate", "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'suspect'`;
    await until(async () => (await influx(suspects)).length >= 2, 'both suspect cal_event points', { timeoutMs: 15_000, observe: () => influx(suspects) });
    const found = await influx(suspects);
    expect(found.map((r) => [r.time, r.certificate]).sort()).toEqual([
      [at, 'SAME-MS-1'],
      [at, 'SAME-MS-2'],
    ]);
    // Each finding's impact report is written and announced on its own, maybe in one ms too.
    const reports = `SELECT "report_file" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'impact_report'`;
    await until(async () => (await influx(reports)).length >= 2, 'both impact_report cal_event points', { timeoutMs: 15_000, observe: () => influx(reports) });
    expect(new Set((await influx(reports)).map((r) => r.report_file)).size).toBe(2);
  });
});
