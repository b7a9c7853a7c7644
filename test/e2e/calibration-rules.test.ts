import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { recordTopics } from '../support/topic-recorder.js';

/**
 * Issue 12 on real servers: three records in the config of a running gateway, each exercising one
 * rule, and what InfluxDB stores for their readings checked reading by reading.
 * - bath-01 temperature: a verification (检定), MPE ±(0.15 + 0.002·|t|) °C, resolution 1 mK:
 *   no correction; u = √((MPE(t)/√3)² + (0.001/(2√3))²).
 * - pressure-01 pressure: a calibration whose point at 250 kPa states no U: around 200 kPa the
 *   correction applies but there is no certificate u, so not traceable, and the reading says why.
 * - balance-01 mass: as-left error 0.3 mg, U 0.4 mg, MPE 0.5 mg under guarded acceptance (r = 1):
 *   acceptance limit 0.5 − 0.4 = 0.1 mg < 0.3 mg → fail → out_of_tolerance (simple acceptance would pass).
 */
const SERVED = { bath: 25, pressure: 200, mass: 100 };

describe('calibration rules end to end: verification, no certificate u, guarded acceptance', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let watcher: MqttClient;
  const messages = new Map<string, unknown[]>();

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    const records: Record<string, NonNullable<MetrogateConfig['instruments'][number]['calibration']>> = {
      'bath-01': {
        certificate: 'E2E-JJG',
        channel: 'temperature',
        kind: 'verification',
        calibrated: localDate(-30),
        due: localDate(300),
        mpe: { constant: 0.15, proportional: 0.002 },
        range: { min: 0, max: 100 },
        resolution: 0.001,
        errorTable: [{ reference: 25, indication: 25.05, U: 0.02, k: 2 }],
      },
      'pressure-01': {
        certificate: 'E2E-GAP',
        channel: 'pressure',
        calibrated: localDate(-30),
        due: localDate(300),
        errorTable: [
          { reference: 149.98, indication: 150, U: 0.02, k: 2 },
          { reference: 249.94, indication: 250 },
        ],
      },
      'balance-01': {
        certificate: 'E2E-GUARD',
        channel: 'mass',
        calibrated: localDate(-30),
        due: localDate(300),
        mpe: 0.0005,
        decisionRule: { rule: 'guarded', r: 1 },
        range: { min: 0, max: 220 },
        errorTable: [{ reference: 100, indication: 100.0003, U: 0.0004, k: 2 }],
      },
    };
    config = { ...config, instruments: config.instruments.map((i) => (records[i.id] ? { ...i, calibration: records[i.id] } : i)) };
    sim.device('bath-01').set('temperature', SERVED.bath);
    sim.device('pressure-01').set('pressure', SERVED.pressure);
    sim.device('balance-01').set('mass', SERVED.mass);
    watcher = await recordTopics(config.mqtt!.url, `${config.mqtt!.topicPrefix}/#`, messages);
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    const deadline = Date.now() + 15_000;
    while ((await stored('temperature')).length < 5 || (await stored('pressure')).length < 5 || (await stored('mass')).length < 5) {
      if (Date.now() > deadline) throw new Error('fewer than 5 readings per channel reached InfluxDB within 15 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    await gateway.stop();
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await sim?.stop();
  });

  const stored = async (channel: string) =>
    rowsOf(await influxSeries(config.influx!.url, config.influx!.database, `SELECT * FROM "reading" WHERE "channel" = '${channel}'`)).filter((r) =>
      ['bath-01', 'pressure-01', 'balance-01'].includes(r.instrument as string),
    );

  it('a verification record: value = raw, u = √((MPE/√3)² + (res/(2√3))²), traceable', async () => {
    const rows = await stored('temperature');
    // MPE(25) = 0.15 + 0.05 = 0.2; 0.2/√3 = 0.1154701; 0.001/(2√3) = 0.0002887; u = √(0.0133333 + 0.0000001) = 0.1154704.
    for (const r of rows) {
      expect(r).toMatchObject({
        instrument: 'bath-01',
        cal_status: 'valid',
        certificate: 'E2E-JJG',
        traceable: true,
        k: 2,
        raw: SERVED.bath,
        value: SERVED.bath,
      });
      expect(r.u as number).toBeCloseTo(0.1154704, 7);
      expect(r.cal_reason).toBeNull();
    }
  });

  it('no U stated around the value: corrected, no u, not traceable, and cal_reason says why (InfluxDB and MQTT)', async () => {
    const rows = await stored('pressure');
    // E(150) = 0.02, E(250) = 0.06: E(200) = 0.04 → 199.96 kPa.
    for (const r of rows) {
      expect(r).toMatchObject({
        cal_status: 'valid',
        certificate: 'E2E-GAP',
        traceable: false,
        u: null,
        cal_reason: 'no uncertainty stated by the certificate at this value',
      });
      expect(r.value as number).toBeCloseTo(199.96, 9);
    }
    const data = (messages.get(`${config.mqtt!.topicPrefix}/${config.site}/e2e-gw/pressure-01/data`) ?? []) as {
      readings: { channel: string; cal: Record<string, unknown> }[];
    }[];
    const published = data.flatMap((b) => b.readings).filter((r) => r.channel === 'pressure');
    expect(published.length).toBeGreaterThanOrEqual(rows.length);
    for (const r of published) expect(r.cal).toMatchObject({ traceable: false, reason: 'no uncertainty stated by the certificate at this value' });
  });

  it('a guard-banded verdict: inside the MPE but beyond MPE − U, so out_of_tolerance and not traceable', async () => {
    const rows = await stored('mass');
    for (const r of rows) expect(r).toMatchObject({ instrument: 'balance-01', cal_status: 'out_of_tolerance', certificate: 'E2E-GUARD', traceable: false });
  });
});
