/**
 * A comparison (计量比对) as the participant laboratory and the platform run it: the gateway polls
 * the circulated artefact (a bath read by a calibrated thermometer), `metrogate comparison record`
 * makes the laboratory's result from the readings stored in InfluxDB and sends it to the platform
 * broker; the platform validates the message against the published contract, merges it with four
 * other laboratories' results (one of them biased) and `metrogate comparison evaluate` scores them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import type { ComparisonEvaluation } from '../../gateway/checks/comparison.js';
import type { ComparisonResult } from '../../gateway/checks/comparison-result.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { runCli } from '../support/cli.js';
import { demoLab, localDate, uniqueName } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { contractValidators } from '../support/platform-consumer.js';
import { until } from '../support/until.js';

const tmp = mkdtempSync(join(tmpdir(), 'metrogate-comparison-record-'));
let sim: Simulator | undefined;
afterAll(async () => {
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Another participant's message, as the platform received it from that laboratory's gateway. */
function participant(lab: string, value: number, U: number, like: ComparisonResult): ComparisonResult {
  return { ...like, lab, site: `${lab}-site`, gateway: `${lab}-gw`, value, U, k: 2 };
}

describe('metrogate comparison record → platform → comparison evaluate', () => {
  it('records the mean of the stored traceable readings with its U, sends it, and the biased participant is the one flagged', async () => {
    const { config: base, sim: s } = await demoLab(inject('mqttUrl'), inject('influxUrl'), 100);
    sim = s;
    const bath = base.instruments.find((i) => i.id === 'bath-01')!;
    // A certificate with an error table: each reading is corrected and carries u (U/k at its value).
    bath.calibration = {
      certificate: 'CMP-T-0042',
      calibrated: localDate(-30),
      due: localDate(300),
      range: { min: 0, max: 100 },
      errorTable: [
        { reference: 0, indication: 0.02, U: 0.04, k: 2 },
        { reference: 100, indication: 100.06, U: 0.08, k: 2 },
      ],
    };
    const config: MetrogateConfig = {
      ...base,
      instruments: [bath],
      ingest: { enabled: true, sites: [base.site], sessionExpirySeconds: 0, maxAgeDays: 400, maxAheadMinutes: 60 },
    } as MetrogateConfig;
    const from = new Date(Date.now() - 1000);
    const gateway = buildGateway({ ...config, spool: { ...config.spool!, dir: join(tmp, 'spool') } }, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    // The artefact's temperature wanders a little around 25 °C, so the repeatability is not zero.
    let step = 0;
    const wander = setInterval(() => sim!.device('bath-01').set('temperature', 25 + 0.01 * Math.sin(step++)), 70);
    const where = `FROM reading WHERE site = '${base.site}' AND instrument = 'bath-01' AND channel = 'temperature'`;
    try {
      await until(
        async () => {
          const rows = rowsOf(await influxSeries(base.influx!.url, base.influx!.database, `SELECT COUNT(value) ${where}`));
          return Number(rows[0]?.count ?? 0) >= 30;
        },
        '30 bath readings stored in InfluxDB',
        30_000,
      );
    } finally {
      clearInterval(wander);
      await gateway.stop();
    }
    const to = new Date();

    const prefix = uniqueName('platform');
    const configFile = join(tmp, 'site.yaml');
    const siteConfig = (url: string) =>
      stringify({
        site: base.site,
        gateway: { id: 'e2e-gw' },
        influx: { url: base.influx!.url, database: base.influx!.database },
        cloud: { enabled: true, url, topicPrefix: prefix },
      });
    const platform = await connectAsync(inject('mqttUrl'), { protocolVersion: 5, clientId: uniqueName('platform') });
    const received: ComparisonResult[] = [];
    platform.on('message', (_t, payload) => received.push(JSON.parse(payload.toString()) as ComparisonResult));
    await platform.subscribeAsync(`${prefix}/${base.site}/e2e-gw/comparison/#`, { qos: 1 });
    const record = [
      'comparison',
      'record',
      '--config',
      configFile,
      '--comparison',
      'PT-2026-BATH',
      '--artefact',
      'SPRT 5187',
      '--instrument',
      'bath-01',
      '--channel',
      'temperature',
      '--nominal',
      '25',
      '--from',
      from.toISOString(),
      '--to',
      to.toISOString(),
      '--lab',
      'lab-A',
      '--out',
      tmp,
    ];
    let written: ComparisonResult | undefined;
    try {
      // The platform unreachable: the result is written, not sent, exit 1; sent later with `comparison send`.
      writeFileSync(configFile, siteConfig('mqtt://127.0.0.1:1'));
      const offline = await runCli(record);
      expect(offline.code, offline.stdout + offline.stderr).toBe(1);
      expect(offline.stderr).toMatch(/not sent: /);
      const file = join(tmp, 'PT-2026-BATH_lab-A_25.json');
      written = JSON.parse(readFileSync(file, 'utf8')) as ComparisonResult;
      expect(received).toHaveLength(0);

      writeFileSync(configFile, siteConfig(inject('mqttUrl')));
      const sent = await runCli(['comparison', 'send', '--config', configFile, file]);
      expect(sent.code, sent.stdout + sent.stderr).toBe(0);
      expect(sent.stdout).toContain(`sent: MQTT ${prefix}/${base.site}/e2e-gw/comparison/PT-2026-BATH/25`);
      await until(() => received.length === 1, 'the platform to receive the comparison result', 10_000);
    } finally {
      await platform.endAsync();
    }
    const result = received[0]!;
    // What the platform holds is the laboratory's own record, byte for byte in meaning.
    expect(result).toEqual(written);
    const validate = contractValidators().get('comparison-result.v1.json')!;
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);

    // Counted against InfluxDB's own statistics of the same window (good, traceable readings only).
    const window = `${where} AND quality = 'good' AND traceable = true AND time >= ${from.getTime()}ms AND time <= ${to.getTime()}ms`;
    const stats = rowsOf(await influxSeries(base.influx!.url, base.influx!.database, `SELECT MEAN(value), STDDEV(value), COUNT(value), MEAN(u) ${window}`))[0]!;
    const n = Number(stats.count);
    expect(result).toMatchObject({ comparison: 'PT-2026-BATH', lab: 'lab-A', instrument: 'bath-01', unit: '°C', nominal: 25, n, certificates: ['CMP-T-0042'] });
    expect(result.value).toBeCloseTo(Number(stats.mean), 9);
    expect(result.s).toBeCloseTo(Number(stats.stddev), 9);
    expect(result.s).toBeGreaterThan(0);
    // The certificate's correction at 25 °C: error 0.02 + 0.25·0.04 = 0.03 °C, U 0.04 + 0.25·0.04 = 0.05 (k 2).
    expect(result.value).toBeGreaterThan(25 - 0.03 - 0.011);
    expect(result.value).toBeLessThan(25 - 0.03 + 0.011);
    expect(result.u.calibration).toBeCloseTo(Number(stats.mean_1), 9);
    expect(result.u.calibration).toBeCloseTo(0.025, 3);
    expect(result.U).toBeCloseTo(2 * Math.sqrt(Number(stats.mean_1) ** 2 + Number(stats.stddev) ** 2 / n), 9);

    // The platform: four more participants (lab-E biased by 0.3 °C), merged and evaluated.
    const files = [
      ['lab-B', result.value + 0.01, 0.06],
      ['lab-C', result.value - 0.015, 0.07],
      ['lab-D', result.value + 0.005, 0.05],
      ['lab-E', result.value + 0.3, 0.06],
    ].map(([lab, value, U]) => {
      const f = join(tmp, `${String(lab)}.json`);
      writeFileSync(f, JSON.stringify(participant(String(lab), Number(value), Number(U), result)));
      return f;
    });
    const ours = join(tmp, 'received-lab-A.json');
    writeFileSync(ours, JSON.stringify(result));
    const coordinator = join(tmp, 'PT-2026-BATH.yaml');
    writeFileSync(
      coordinator,
      stringify({ comparison: 'PT-2026-BATH', artefact: 'SPRT 5187', quantity: 'temperature', unit: '°C', points: [{ nominal: 25 }] }),
    );
    const evaluated = await runCli(['comparison', 'evaluate', coordinator, ...[ours, ...files].flatMap((f) => ['--results', f]), '--out', join(tmp, 'report')]);
    expect(evaluated.code, evaluated.stdout + evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/PT-2026-BATH: 1 points, 5 results evaluated/);
    expect(evaluated.stdout.match(/not satisfactory: (\S+)/g)).toEqual(['not satisfactory: lab-E']);
    const report = JSON.parse(readFileSync(join(tmp, 'report', 'PT-2026-BATH.json'), 'utf8')) as ComparisonEvaluation;
    for (const score of report.points[0]!.scores) expect(Math.abs(score.en) > 1, `${score.lab}: En ${score.en}`).toBe(score.lab === 'lab-E');

    // A result for a point the coordinator did not define is refused, not scored.
    const stray = join(tmp, 'stray.json');
    writeFileSync(stray, JSON.stringify({ ...result, lab: 'lab-F', nominal: 30 }));
    const refused = await runCli(['comparison', 'evaluate', coordinator, '--results', stray, '--out', join(tmp, 'report2')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/result of lab-F .* the comparison has no point at 30 \(points: 25\)/);
  }, 120_000);

  it('refuses a window without traceable readings with the counts, exit 2, and writes nothing', async () => {
    const configFile = join(tmp, 'empty.yaml');
    writeFileSync(
      configFile,
      stringify({
        site: uniqueName('site'),
        gateway: { id: 'e2e-gw' },
        mqtt: { url: inject('mqttUrl') },
        influx: { url: inject('influxUrl'), database: uniqueName('db') },
      }),
    );
    const out = join(tmp, 'none');
    const res = await runCli([
      'comparison',
      'record',
      '--config',
      configFile,
      '--comparison',
      'PT-X',
      '--artefact',
      'a',
      '--instrument',
      'bath-01',
      '--channel',
      'temperature',
      '--nominal',
      '25',
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-01-01T01:00:00Z',
      '--out',
      out,
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /bath-01\/temperature from 2026-01-01T00:00:00.000Z to 2026-01-01T01:00:00.000Z: 0 good traceable readings \(need at least 2; 0 stored/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
