import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { asModbusTcp, type MetrogateConfig } from '../../config/schema.js';
import { startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import type { CheckResult } from '../../gateway/checks/check-result.js';
import { driftDetectionDelay } from '../../gateway/checks/cusum.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import type { ReadingBatch } from '../../gateway/reading.js';
import { runCli } from '../support/cli.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

/**
 * Between calibrations, end to end on real servers: a bath with two PRTs (a Modbus simulator over
 * TCP) measures 25 °C; one PRT starts to drift slowly, a fixed step per reading. The redundancy
 * check's CUSUM must trip at the very reading the CUSUM parameters predict (long before the
 * redundancy limit k·√(u1² + u2²) is reached), and from that moment the instrument is quarantined
 * on MQTT (retained status), in InfluxDB (cal_event, readings' cal_status and traceable) and in
 * the API, without a restart; the impact report covers the period since the last passed check;
 * release is a person's act through the API, and the status comes back.
 */
const TOKEN = 'checks-e2e-token-0123456789abcdef';
const NOMINAL = 25;
/** Chart set by hand: σ of the difference between the PRTs. */
const SIGMA = 0.01;
const CUSUM = { k: 0.5, h: 5 };
/** Drift of the second PRT per reading: 0.2 σ. */
const STEP = 0.002;
/** Readings before the drift starts: the chart is in control. */
const STEADY = 5;
/** Standard uncertainty of each PRT (uncertaintyBudget): the redundancy limit is 2·√2·0.02 = 0.057 °C. */
const U_PRT = 0.02;

type Json = Record<string, unknown>;

describe('intermediate checks: a drifting PRT quarantines the bath until a person releases it', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-checks-'));
  const reports = join(dir, 'reports');
  const messages = new Map<string, unknown[]>();
  let config: MetrogateConfig;
  let sim: Simulator;
  let demoSim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  let watcher: MqttClient;
  /** Bath batches the gateway tagged; from `driftFrom` on, each sets the next reading's drift. */
  let batches = 0;
  let driftFrom = Infinity;
  let drifting = false;

  const topic = (leaf: string) => `${config.mqtt!.topicPrefix}/${config.site}/e2e-gw/bath-02/${leaf}`;
  const on = (leaf: string) => (messages.get(topic(leaf)) ?? []) as Json[];
  const checkEvents = () => on('event').filter((e) => e.kind === 'check');
  const influx = async (q: string) => rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, api.url), {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  /** What a user subscribing now receives: the retained status. */
  async function retainedStatus(): Promise<Json> {
    const client = await connectAsync(config.mqtt!.url, { protocolVersion: 5 });
    try {
      const got = new Promise<Json>((resolve) => client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as Json)));
      await client.subscribeAsync(topic('status'), { qos: 1 });
      return await got;
    } finally {
      await client.endAsync();
    }
  }

  beforeAll(async () => {
    let base;
    ({ config: base, sim: demoSim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    sim = await startSimulator({
      devices: [
        {
          id: 'bath',
          static: true,
          profile: {
            name: 'two-prt-bath',
            description: 'a bath read by two PRTs',
            points: ['t1', 't2'].map((channel, i) => ({
              channel,
              function: 'input' as const,
              address: 2 * i,
              type: 'float32',
              quantity: 'temperature',
              unit: '°C',
              signal: { kind: 'constant' as const, value: NOMINAL },
            })),
          },
        },
      ],
    });
    const template = asModbusTcp(base.instruments.find((i) => i.id === 'bath-01'));
    const probe = template.channels.find((c) => c.id === 'temperature')!;
    config = {
      ...base,
      api: { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN, trendPoints: 5 },
      calibration: { recordsDir: join(dir, 'records'), reportsDir: reports },
      checks: {
        dir: join(dir, 'checks'),
        series: [
          {
            id: 'bath-pair',
            instrument: 'bath-02',
            channel: 't2',
            redundancy: { channel: 't1', k: 2, minDurationMs: 2000, maxSkewMs: 1000 },
            chart: { baseline: 20, centre: 0, sigma: SIGMA },
            cusum: CUSUM,
            quarantineOn: ['fail', 'CUSUM'],
          },
          {
            // The operator's check: PRT 1 in a fixed-point cell of 25 °C, recorded with the CLI.
            id: 'bath-cell',
            instrument: 'bath-02',
            channel: 't1',
            standard: { value: NOMINAL, U: 0.01, rule: 'en' },
            chart: { baseline: 20 },
            cusum: CUSUM,
            quarantineOn: ['fail'],
          },
        ],
      },
      instruments: [
        {
          ...template,
          id: 'bath-02',
          name: 'Bath with two PRTs',
          pollIntervalMs: 200,
          connection: { ...template.connection, port: sim.device('bath').port },
          channels: [
            { ...probe, id: 't1', address: 0 },
            { ...probe, id: 't2', address: 2 },
          ],
          calibration: { certificate: 'E2E-BATH-2026', calibrated: localDate(-100), due: localDate(200), range: { min: 0, max: 100 } },
          uncertaintyBudget: [{ components: [{ name: 'PRT', u: U_PRT }] }],
        },
      ],
    };
    watcher = await recordTopics(config.mqtt!.url, `${config.mqtt!.topicPrefix}/#`, messages);
    const log = pino({ level: 'silent' });
    gateway = buildGateway(config, log, { drivers: true, ingest: true });
    // The drift: after each bath reading the test sets what the next one reads, so reading
    // driftFrom + i − 1 differs from the other PRT by exactly i steps.
    gateway.pipeline.onReadings((b: ReadingBatch) => {
      if (b.instrument !== 'bath-02') return;
      batches++;
      if (drifting && batches + 1 >= driftFrom) sim.device('bath').set('t2', NOMINAL + STEP * (batches + 2 - driftFrom));
    });
    api = (await serveGatewayApi(gateway, config, log))!;
    await gateway.start();
    api.running();
  });
  afterAll(async () => {
    await gateway?.stop();
    await api?.close();
    await watcher?.endAsync();
    await sim?.stop();
    await demoSim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the CUSUM trips at the reading it predicts; quarantined on MQTT, in InfluxDB and the API at once; impact report since the last passed check; released through the API', async () => {
    await until(() => checkEvents().length >= STEADY, `${STEADY} steady check results`, 15_000);
    expect((await call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({ status: 'valid', traceable: true });
    // Not the next reading (its poll may be on its way already) but the one after it.
    driftFrom = batches + 2;
    drifting = true;

    const predicted = driftDetectionDelay(STEP / SIGMA, CUSUM);
    expect(predicted).toBeGreaterThan(3);
    await until(() => checkEvents().some((e) => (e.result as Json).quarantined), 'a check result that quarantines the bath', 20_000);
    const results = gateway.checks!.results('bath-pair', 1000)!;
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
    const view = (await call('GET', '/api/instruments/bath-02')).body;
    expect(view.calibration).toMatchObject({ status: 'quarantined', traceable: false });
    expect((view.calibration as Json).reason).toBe(`quarantined: check bath-pair: CUSUM at result ${trip.n} (by intermediate check)`);
    // MQTT: the transition event and the retained status a newcomer receives.
    await until(() => on('event').some((e) => e.kind === 'transition' && e.to === 'quarantined'), 'the quarantine transition on MQTT', 5000);
    expect((await retainedStatus()).cal).toMatchObject({ status: 'quarantined', traceable: false });
    // Readings keep flowing, not traceable, with the reason.
    await until(
      () => on('data').some((b) => (b.readings as Json[]).some((r) => (r.cal as Json).status === 'quarantined')),
      'a quarantined reading on MQTT',
      5000,
    );
    const q = on('data')
      .flatMap((b) => b.readings as Json[])
      .find((r) => (r.cal as Json).status === 'quarantined')!;
    expect(q.cal).toMatchObject({ traceable: false, reason: expect.stringContaining('check bath-pair') });

    // InfluxDB: the cal_event annotation, the readings' status, and the check results to chart.
    await until(
      async () => (await influx(`SELECT * FROM "cal_event" WHERE "instrument" = 'bath-02' AND "to_status" = 'quarantined'`)).length > 0,
      'the cal_event point',
      10_000,
    );
    await until(
      async () =>
        (await influx(`SELECT "value" FROM "reading" WHERE "instrument" = 'bath-02' AND "cal_status" = 'quarantined' AND "traceable" = false`)).length > 0,
      'quarantined readings in InfluxDB',
      10_000,
    );
    await until(
      async () => (await influx(`SELECT * FROM "check_result" WHERE "check" = 'bath-pair' AND "quarantined" = 1`)).length === 1,
      'the quarantining check_result point',
      10_000,
    );
    const [point] = await influx(`SELECT * FROM "check_result" WHERE "check" = 'bath-pair' AND "quarantined" = 1`);
    expect(point).toMatchObject({ time: trip.ts, tripped: trip.tripped.join(','), verdict: 'pass', centre: 0, sigma: SIGMA });
    expect(point!.difference as number).toBeCloseTo(trip.difference, 9);

    // The impact report: from the last passed check (chart in control) to the trip.
    const lastPassed = results
      .slice(0, tripAt)
      .filter((r) => r.passed)
      .at(-1)!;
    expect(lastPassed.difference / STEP).toBeCloseTo(2, 2); // C⁺ stays 0 while i·0.2σ ≤ k = 0.5σ
    await until(() => existsSync(reports) && readdirSync(reports).some((f) => f.endsWith('-impact.json')), 'the impact report', 10_000);
    const file = readdirSync(reports).find((f) => f.endsWith('-impact.json'))!;
    expect(file).toBe(`bath-02.t2-check-bath-pair-${trip.ts}-impact.json`);
    const report = JSON.parse(readFileSync(join(reports, file), 'utf8')) as Json;
    expect(report).toMatchObject({
      instrument: 'bath-02',
      channel: 't2',
      check: 'bath-pair',
      certificate: 'E2E-BATH-2026',
      from: new Date(lastPassed.ts).toISOString(),
      to: new Date(trip.ts).toISOString(),
    });
    expect(report.readingsAffected).toEqual(expect.any(Number));
    await until(() => on('event').some((e) => e.kind === 'impact_report' && e.check === 'bath-pair'), 'the impact_report event', 5000);

    // Release: the drift repaired, a person releases the bath through the API, with a reason.
    drifting = false;
    sim.device('bath').set('t2', NOMINAL);
    const repairedFrom = batches + 1;
    await until(() => batches > repairedFrom + 2, 'readings after the repair');
    const released = await call('POST', '/api/instruments/bath-02/release', { reason: 'PRT 2 replaced, checked against PRT 1', by: 'e2e' });
    expect(released.status).toBe(200);
    expect(released.body.calibration).toMatchObject({ status: 'valid', traceable: true });
    await until(
      () => on('event').some((e) => e.kind === 'transition' && e.from === 'quarantined' && e.to === 'valid' && String(e.reason).startsWith('released by e2e')),
      'the release event on MQTT',
      5000,
    );
    expect((await retainedStatus()).cal).toMatchObject({ status: 'valid', traceable: true });
    await until(
      async () =>
        (await influx(`SELECT * FROM "cal_event" WHERE "instrument" = 'bath-02' AND "from_status" = 'quarantined' AND "to_status" = 'valid'`)).length > 0,
      'the release cal_event point',
      10_000,
    );
    const after = checkEvents().length;
    await until(() => checkEvents().length > after + 3, 'check results after the release');
    expect((await call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({ status: 'valid' });
    const stored = readFileSync(join(dir, 'checks', 'bath-pair.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CheckResult);
    expect(stored.filter((r) => r.quarantined)).toHaveLength(1);
  });

  it('`metrogate check record` talks to the running gateway: a pass, then a failure that quarantines at once', async () => {
    const cliConfig = join(dir, 'cli.yaml');
    writeFileSync(cliConfig, `site: cli\nmqtt:\n  url: ${config.mqtt!.url}\napi:\n  token: ${TOKEN}\n`);
    const pass = await runCli(['check', 'record', 'bath-cell', '--config', cliConfig, '--url', api.url, '--by', 'operator-1']);
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    // The latest reading of t1 (25 °C) with its U = 2·0.02 against the cell's 25 ± 0.01: En 0.
    expect(pass.stdout).toMatch(/^bath-cell #1 bath-02\.t1: PASS En 0 \(limit 1\), measured 25 vs reference 25 ± 0\.01/);
    const fail = await runCli(['check', 'record', 'bath-cell', '--config', cliConfig, '--url', api.url, '--measured', '25.05', '--by', 'operator-1']);
    expect(fail.code).toBe(3);
    expect(fail.stdout).toContain('FAIL En 5 (limit 1)');
    expect(fail.stdout).toContain('bath-02 QUARANTINED');
    expect((await call('GET', '/api/instruments/bath-02')).body.calibration).toMatchObject({
      status: 'quarantined',
      reason: expect.stringContaining('check bath-cell: En 5.00 > 1.00'),
    });
    const unknown = await runCli(['check', 'record', 'nope', '--config', cliConfig, '--url', api.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the gateway answered 404: no check "nope"');
    const list = await runCli(['check', 'list', '--config', cliConfig, '--url', api.url]);
    expect(list.stdout).toContain('bath-pair (redundancy) bath-02.t2');
    expect(list.stdout).toContain('bath-cell (standard) bath-02.t1: 2 results');
    expect((await call('POST', '/api/instruments/bath-02/release', { reason: 'cell re-measured', by: 'e2e' })).status).toBe(200);
  });
});
