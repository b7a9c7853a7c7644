import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { demoLab, ROOT } from '../support/e2e-fixture.js';
import { loadDashboards } from '../support/grafana-dashboards.js';
import { runDashboard, tableProblems, type Run } from '../support/grafana-run.js';
import { hasData, influxSeries, rowsOf } from '../support/influx-query.js';
import { until } from '../support/until.js';

/**
 * The intermediate checks dashboard (dashboards/json/checks.json) on the InfluxDB data of a
 * running gateway: an operator records five results of a check standard on the bath, the fifth
 * fails and quarantines it, a person releases it; every query of the dashboard runs as Grafana
 * would and shows exactly those results, limits, chart, CUSUM and annotations.
 */
const CHECKS_UID = 'metrogate-checks';
const dashboards = loadDashboards(join(ROOT, 'dashboards/json'));

describe("Grafana checks dashboard on the results of a running gateway's intermediate check", () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  const panelRuns = new Map<string, Run>();
  const scratch = mkdtempSync(join(tmpdir(), 'metrogate-dashboards-checks-'));
  /** An operator measures a 25 °C fixed-point cell (U = 0.01 °C) with the bath: four passes, then En 5 quarantines it. */
  const MEASURED = [25.002, 24.998, 25.004, 25.001, 25.05];

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    config.spool = { ...(config.spool ?? DEFAULT_SPOOL), dir: join(scratch, 'spool') };
    config.calibration = { ...config.calibration, recordsDir: join(scratch, 'records'), reportsDir: join(scratch, 'reports') };
    config.checks = {
      dir: join(scratch, 'checks'),
      series: [
        {
          id: 'bath-cell',
          instrument: 'bath-01',
          channel: 'temperature',
          standard: { value: 25, U: 0.01, rule: 'en' },
          chart: { baseline: 20, centre: 0, sigma: 0.01 },
          cusum: { k: 0.5, h: 5 },
          quarantineOn: ['fail'],
        },
      ],
    };
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    // Entered back to back, maybe before the bath's first reading: results of one millisecond are
    // each their own point, and a quarantine before any reading is a transition all the same.
    for (const measured of MEASURED) gateway.checks!.record('bath-cell', { measured, by: 'e2e' });
    const influx = async (q: string) => rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
    await until(
      async () => (await influx(`SELECT "n" FROM "check_result" WHERE "check" = 'bath-cell'`)).length === MEASURED.length,
      'every check_result point stored',
      10_000,
    );
    await until(
      async () =>
        (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'transition' AND "to_status" = 'quarantined'`)).length === 1,
      'the quarantine cal_event stored',
      10_000,
    );
    // The impact report, then a person's release: the end of the quarantine is an annotation too.
    await until(
      async () => (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'impact_report'`)).length === 1,
      'the impact report cal_event stored',
      10_000,
    );
    gateway.calibration.setManualStatus({ instrument: 'bath-01', status: null, reason: 'cell re-measured', by: 'e2e' });
    await until(
      async () => (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "from_status" = 'quarantined'`)).length === 1,
      'the release cal_event stored',
      10_000,
    );
    await gateway.stop();
    const checks = dashboards.find((d) => d.json.uid === CHECKS_UID)!.json;
    for (const r of await runDashboard(checks, { url: config.influx!.url, database: config.influx!.database })) panelRuns.set(r.where, r);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const rows = (where: string) => {
    const r = panelRuns.get(where);
    if (!r) throw new Error(`no query ran for ${where}; ran: ${[...panelRuns.keys()].join(', ')}`);
    return rowsOf(r.series);
  };
  const d = 'metrogate: intermediate checks';

  it('every panel, variable and annotation query runs without error and returns data', () => {
    const failures = [...panelRuns.values()]
      .filter((r) => r.error !== undefined || !hasData(r.series))
      .map((r) => `${r.where}: ${r.error ?? 'no data'}\n    ${r.query}`);
    expect(failures).toEqual([]);
    expect(rows(`${d} / variable $check`).map((r) => r.value)).toEqual(['bath-cell']);
    // 2 variables, 1 annotation, 3 tables, 4 panels (5 targets) repeated for the one check.
    const checks = dashboards.find((x) => x.json.uid === CHECKS_UID)!.json;
    expect(tableProblems(checks, [...panelRuns.values()])).toEqual([]);
    expect(panelRuns.size, [...panelRuns.keys()].join('\n')).toBe(2 + 1 + 3 + 5);
  });

  it('the last result, the verdicts and the rules tripped: the failure that quarantined the bath', () => {
    const [last, ...more] = rows(`${d} / "Last result per check" / A`);
    expect(more).toEqual([]);
    expect(last).toMatchObject({
      check: 'bath-cell',
      instrument: 'bath-01',
      channel: 'temperature',
      rule: 'En',
      n: 5,
      measured: 25.05,
      reference: 25,
      reference_u: 0.01,
      limit: 1,
      quarantined: 1,
    });
    expect(last!.score).toBeCloseTo(5, 9);
    expect(String(last!.tripped).split(',')).toContain('fail');
    const verdicts = Object.fromEntries(rows(`${d} / "Results by verdict" / A`).map((r) => [r.verdict, r.results]));
    expect(verdicts).toEqual({ pass: 4, fail: 1 });
    const tripped = rows(`${d} / "Rules tripped" / A`);
    expect(tripped.map((r) => [r.n, r.quarantined])).toEqual([[5, 1]]);
  });

  it('per check: measured vs reference ± U_ref, the score against its limit, the control chart and the CUSUM, point by point', () => {
    const measured = rows(`${d} / "bath-cell: measured vs reference ± U_ref" / A`);
    expect(measured.map((r) => r.measured)).toEqual(MEASURED);
    expect(measured.every((r) => r.reference === 25)).toBe(true);
    for (const r of rows(`${d} / "bath-cell: measured vs reference ± U_ref" / B`)) {
      expect(r['reference - U']).toBeCloseTo(24.99, 9);
      expect(r['reference + U']).toBeCloseTo(25.01, 9);
    }
    const scores = rows(`${d} / "bath-cell: score against its limit" / A`);
    // En = |x − x_ref| / U_ref: the operator's entry carries no U of its own.
    scores.forEach((r, i) => expect(r.score).toBeCloseTo(Math.abs(MEASURED[i]! - 25) / 0.01, 6));
    expect(scores.map((r) => r.limit)).toEqual([1, 1, 1, 1, 1]);
    const chart = rows(`${d} / "bath-cell: control chart" / A`);
    expect(chart).toHaveLength(MEASURED.length);
    chart.forEach((r, i) => {
      expect(r.difference).toBeCloseTo(MEASURED[i]! - 25, 9);
      expect(r).toMatchObject({ centre: 0 });
      expect(r.UCL).toBeCloseTo(0.03, 12);
      expect(r.LCL).toBeCloseTo(-0.03, 12);
    });
    // z = 0.2, −0.2, 0.4, 0.1 stay below k = 0.5: C⁺ 0; then z = 5: C⁺ = 5 − 0.5 = 4.5, below h = 5.
    const cusum = rows(`${d} / "bath-cell: CUSUM" / A`);
    expect(cusum.map((r) => r['C+'] as number).map((c) => Number(c.toFixed(9)))).toEqual([0, 0, 0, 0, 4.5]);
    expect(cusum.every((r) => (r['C-'] as number) >= 0)).toBe(true);
  });

  it('the quarantine as annotations: the suspect period, the transition, the impact report and the release, each with its sentence', () => {
    const events = rows(`${d} / annotation "Quarantine and release"`);
    expect(events.map((e) => [e.instrument, e.kind, e.from_status, e.to_status])).toEqual([
      ['bath-01', 'suspect', null, 'quarantined'],
      ['bath-01', 'transition', 'valid', 'quarantined'],
      ['bath-01', 'impact_report', null, 'quarantined'],
      ['bath-01', 'transition', 'quarantined', 'valid'],
    ]);
    expect(events[0]!.text).toMatch(/^bath-01\.temperature: readings suspect \(check bath-cell: En 5\.00 > 1\.00 at result 5/);
    expect(events[1]!.text).toMatch(/^bath-01: valid → quarantined \(.*check bath-cell/);
    expect(events[3]!.text).toMatch(/^bath-01: quarantined → valid \(released by e2e: cell re-measured/);
  });
});
