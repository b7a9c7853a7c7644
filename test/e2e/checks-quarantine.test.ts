import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CheckResult } from '../../gateway/checks/check-result.js';
import { driftDetectionDelay } from '../../gateway/checks/cusum.js';
import { runCli } from '../support/cli.js';
import { CUSUM, SIGMA, STEP, startTwoPrtBath, TOKEN, U_PRT, type Json, type TwoPrtBath } from '../support/two-prt-bath.js';
import { until } from '../support/until.js';

/**
 * Between calibrations, end to end on real servers: a bath with two PRTs (a Modbus simulator over
 * TCP) measures 25 °C; one PRT starts to drift slowly, a fixed step per reading. The redundancy
 * check's CUSUM must trip at the very reading the CUSUM parameters predict (long before the
 * redundancy limit k·√(u1² + u2²) is reached), and from that moment the instrument is quarantined
 * on MQTT (retained status), in InfluxDB (cal_event, readings' cal_status and traceable) and in
 * the API, without a restart; the impact report covers the period since the last passed check;
 * release is a person's act through the API, and the status comes back. Then an operator records
 * a check of the released bath with the CLI, and its failure quarantines at once.
 */
/** Readings before the drift starts: the chart is in control. */
const STEADY = 5;

describe('intermediate checks: a drifting PRT quarantines the bath until a person releases it', { timeout: 120_000 }, () => {
  let lab: TwoPrtBath;

  beforeAll(async () => {
    lab = await startTwoPrtBath(inject('mqttUrl'), inject('influxUrl'));
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('the CUSUM trips at the reading it predicts; quarantined on MQTT, in InfluxDB and the API at once; impact report since the last passed check; released through the API', async () => {
    await until(() => lab.checkEvents().length >= STEADY, `${STEADY} steady check results`, 15_000);
    expect((await lab.call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({ status: 'valid', traceable: true });
    lab.startDrift();

    const predicted = driftDetectionDelay(STEP / SIGMA, CUSUM);
    expect(predicted).toBeGreaterThan(3);
    await until(() => lab.checkEvents().some((e) => (e.result as Json).quarantined), 'a check result that quarantines the bath', 20_000);
    const results = lab.gateway.checks!.results('bath-pair', 1000)!;
    const tripAt = results.findIndex((r) => r.quarantined);
    const trip = results[tripAt]!;
    // Exactly the predicted drifted reading: its difference is predicted steps, and every drifted one before it did not trip.
    expect(trip.difference).toBeCloseTo(predicted * STEP, 4);
    // Slower rules may trip too (run rules are events); only the CUSUM is configured to quarantine.
    expect(trip.tripped).toContain('CUSUM');
    expect(trip.tripped).not.toContain('fail');
    // The redundancy rule itself still passed: the CUSUM saw the drift long before the limit.
    expect(trip).toMatchObject({ verdict: 'pass', rule: 'redundancy' });
    expect(trip.limit).toBeCloseTo(2 * Math.sqrt(2) * U_PRT, 9);
    expect(trip.score).toBeLessThan(trip.limit);
    const drifted = results.slice(0, tripAt).filter((r) => r.difference > STEP / 2);
    expect(drifted.map((r) => Number((r.difference / STEP).toFixed(2)))).toEqual(Array.from({ length: predicted - 1 }, (_, i) => i + 1));
    expect(drifted.every((r) => !r.tripped.includes('CUSUM'))).toBe(true);

    // The API, at once.
    const view = (await lab.call('GET', '/api/instruments/bath-02')).body;
    expect(view.calibration).toMatchObject({ status: 'quarantined', traceable: false });
    expect((view.calibration as Json).reason).toBe(`quarantined: check bath-pair: CUSUM at result ${trip.n} (by intermediate check)`);
    // MQTT: the transition event and the retained status a newcomer receives.
    await until(() => lab.on('event').some((e) => e.kind === 'transition' && e.to === 'quarantined'), 'the quarantine transition on MQTT', 5000);
    expect((await lab.retainedStatus()).cal).toMatchObject({ status: 'quarantined', traceable: false });
    // Readings keep flowing, not traceable, with the reason.
    await until(
      () => lab.on('data').some((b) => (b.readings as Json[]).some((r) => (r.cal as Json).status === 'quarantined')),
      'a quarantined reading on MQTT',
      5000,
    );
    const q = lab
      .on('data')
      .flatMap((b) => b.readings as Json[])
      .find((r) => (r.cal as Json).status === 'quarantined')!;
    expect(q.cal).toMatchObject({ traceable: false, reason: expect.stringContaining('check bath-pair') });

    // InfluxDB: the cal_event annotation, the readings' status, and the check results to chart.
    await until(
      async () => (await lab.influx(`SELECT * FROM "cal_event" WHERE "instrument" = 'bath-02' AND "to_status" = 'quarantined'`)).length > 0,
      'the cal_event point',
      10_000,
    );
    await until(
      async () =>
        (await lab.influx(`SELECT "value" FROM "reading" WHERE "instrument" = 'bath-02' AND "cal_status" = 'quarantined' AND "traceable" = false`)).length > 0,
      'quarantined readings in InfluxDB',
      10_000,
    );
    await until(
      async () => (await lab.influx(`SELECT * FROM "check_result" WHERE "check" = 'bath-pair' AND "quarantined" = 1`)).length === 1,
      'the quarantining check_result point',
      10_000,
    );
    const [point] = await lab.influx(`SELECT * FROM "check_result" WHERE "check" = 'bath-pair' AND "quarantined" = 1`);
    expect(point).toMatchObject({ time: trip.ts, tripped: trip.tripped.join(','), verdict: 'pass', centre: 0, sigma: SIGMA });
    expect(point!.difference as number).toBeCloseTo(trip.difference, 9);

    // The impact report: from the last passed check (chart in control) to the trip.
    const lastPassed = results
      .slice(0, tripAt)
      .filter((r) => r.passed)
      .at(-1)!;
    expect(lastPassed.difference / STEP).toBeCloseTo(2, 2); // C⁺ stays 0 while i·0.2σ ≤ k = 0.5σ
    await until(() => existsSync(lab.reports) && readdirSync(lab.reports).some((f) => f.endsWith('-impact.json')), 'the impact report', 10_000);
    const file = readdirSync(lab.reports).find((f) => f.endsWith('-impact.json'))!;
    expect(file).toBe(`bath-02.t2-check-bath-pair-${trip.ts}-impact.json`);
    const report = JSON.parse(readFileSync(join(lab.reports, file), 'utf8')) as Json;
    expect(report).toMatchObject({
      instrument: 'bath-02',
      channel: 't2',
      check: 'bath-pair',
      certificate: 'E2E-BATH-2026',
      from: new Date(lastPassed.ts).toISOString(),
      to: new Date(trip.ts).toISOString(),
    });
    expect(report.readingsAffected).toEqual(expect.any(Number));
    await until(() => lab.on('event').some((e) => e.kind === 'impact_report' && e.check === 'bath-pair'), 'the impact_report event', 5000);

    // Release: the drift repaired, a person releases the bath through the API, with a reason.
    lab.stopDrift();
    const repairedFrom = lab.batches + 1;
    await until(() => lab.batches > repairedFrom + 2, 'readings after the repair');
    const released = await lab.call('POST', '/api/instruments/bath-02/release', { reason: 'PRT 2 replaced, checked against PRT 1', by: 'e2e' });
    expect(released.status).toBe(200);
    expect(released.body.calibration).toMatchObject({ status: 'valid', traceable: true });
    await until(
      () =>
        lab.on('event').some((e) => e.kind === 'transition' && e.from === 'quarantined' && e.to === 'valid' && String(e.reason).startsWith('released by e2e')),
      'the release event on MQTT',
      5000,
    );
    expect((await lab.retainedStatus()).cal).toMatchObject({ status: 'valid', traceable: true });
    await until(
      async () =>
        (await lab.influx(`SELECT * FROM "cal_event" WHERE "instrument" = 'bath-02' AND "from_status" = 'quarantined' AND "to_status" = 'valid'`)).length > 0,
      'the release cal_event point',
      10_000,
    );
    const after = lab.checkEvents().length;
    await until(() => lab.checkEvents().length > after + 3, 'check results after the release');
    expect((await lab.call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({ status: 'valid' });
    const stored = readFileSync(join(lab.dir, 'checks', 'bath-pair.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CheckResult);
    expect(stored.filter((r) => r.quarantined)).toHaveLength(1);
  });

  it('`metrogate check record` talks to the running gateway: a pass, then a failure that quarantines at once', async () => {
    const cliConfig = join(lab.dir, 'cli.yaml');
    writeFileSync(cliConfig, `site: cli\nmqtt:\n  url: ${lab.config.mqtt.url}\napi:\n  token: ${TOKEN}\n`);
    const pass = await runCli(['check', 'record', 'bath-cell', '--config', cliConfig, '--url', lab.api.url, '--by', 'operator-1']);
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    // The latest reading of t1 (25 °C) with its U = 2·0.02 against the cell's 25 ± 0.01: En 0.
    expect(pass.stdout).toMatch(/^bath-cell #1 bath-02\.t1: PASS En 0 \(limit 1\), measured 25 vs reference 25 ± 0\.01/);
    const fail = await runCli(['check', 'record', 'bath-cell', '--config', cliConfig, '--url', lab.api.url, '--measured', '25.05', '--by', 'operator-1']);
    expect(fail.code).toBe(3);
    expect(fail.stdout).toContain('FAIL En 5 (limit 1)');
    expect(fail.stdout).toContain('bath-02 QUARANTINED');
    expect((await lab.call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({
      status: 'quarantined',
      reason: expect.stringContaining('check bath-cell: En 5.00 > 1.00'),
    });
    const unknown = await runCli(['check', 'record', 'nope', '--config', cliConfig, '--url', lab.api.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the gateway answered 404: no check "nope"');
    const list = await runCli(['check', 'list', '--config', cliConfig, '--url', lab.api.url]);
    expect(list.stdout).toContain('bath-pair (redundancy) bath-02.t2');
    expect(list.stdout).toContain('bath-cell (standard) bath-02.t1: 2 results');
    expect((await lab.call('POST', '/api/instruments/bath-02/release', { reason: 'cell re-measured', by: 'e2e' })).status).toBe(200);
  });
});
