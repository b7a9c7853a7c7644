/**
 * End to end: a simulated Pt100 serving its resistance (Ω) on a Modbus register → the channel's
 * Callendar–Van Dusen characteristic and its certificate → readings in °C with u, raw in Ω and
 * rawUnit, checked where a user looks: the MQTT data topic and InfluxDB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig, ModbusTcpInstrumentConfig } from '../../config/schema.js';
import { startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { PRT_PROFILE, prtInstrument } from '../support/prt-fixture.js';
import { until } from '../support/until.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { demoLab, localDate, ROOT } from '../support/e2e-fixture.js';
import { recordTopics } from '../support/topic-recorder.js';

/** The bath at 100.000 °C: IEC 60751 gives 138.5055 Ω (served as float32, ~7 digits). */

describe('end to end: a PRT read in Ω → °C with u on MQTT and in InfluxDB', () => {
  let config: MetrogateConfig & { mqtt: NonNullable<MetrogateConfig['mqtt']> };
  let demoSim: Simulator;
  let sim: Simulator;
  let gateway: Gateway;
  let watcher: MqttClient;
  const messages = new Map<string, unknown[]>();
  const topic = () => `${config.mqtt.topicPrefix}/${config.site}/e2e-gw/prt-01/data`;
  const received = () => (messages.get(topic()) ?? []) as WireBatch[];

  beforeAll(async () => {
    const lab = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    demoSim = lab.sim;
    sim = await startSimulator({ devices: [{ id: 'prt-01', profile: PRT_PROFILE, static: true }] });
    const prt: ModbusTcpInstrumentConfig = {
      ...prtInstrument(sim.device('prt-01').port),
      // The sensor's certificate, in °C: at the 100 °C point it read 0.050 °C high, U = 0.020 °C (k = 2).
      calibration: {
        certificate: 'E2E-PRT',
        calibrated: localDate(-30),
        due: localDate(300),
        range: { min: 0, max: 150 },
        errorTable: [
          { reference: 0, indication: 0.03, error: 0.03, U: 0.02, k: 2 },
          { reference: 99.95, indication: 100, error: 0.05, U: 0.02, k: 2 },
        ],
      } as ModbusTcpInstrumentConfig['calibration'],
      uncertaintyBudget: [{ components: [{ name: 'bridge', u: 0.005 }] }],
    };
    config = { ...lab.config, instruments: [prt] };
    watcher = await recordTopics(config.mqtt.url, `${config.mqtt.topicPrefix}/#`, messages);
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    await until(() => received().length >= 5, '5 data messages of prt-01 on MQTT', 10_000);
    await gateway.stopPolling();
    const published = () => gateway.pipeline.counters.get('prt-01')!.delivered.mqtt!;
    await until(
      () => gateway.ingest!.stats.points >= published() && published() === gateway.pipeline.counters.get('prt-01')!.polled,
      'the ingest to write every published reading',
      10_000,
    );
    await gateway.stop();
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await sim?.stop();
    await demoSim?.stop();
  });

  it('MQTT: value in °C corrected by the certificate, u = √(0.010² + 0.005²), raw in Ω with rawUnit, valid against the schema', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'gateway/schemas/reading-batch.schema.json'), 'utf8')));
    const validate = ajv.getSchema('https://metrogate.dev/schemas/reading-batch.v1.json')!;
    const readings = received().flatMap((b) => b.readings);
    expect(readings.length).toBe(gateway.pipeline.counters.get('prt-01')!.polled);
    for (const b of received()) expect(validate(b), JSON.stringify(validate.errors)).toBe(true);
    for (const r of readings) {
      expect(r).toMatchObject({ unit: '°C', rawUnit: 'Ω', quality: 'good', k: 2, cal: { status: 'valid', certificate: 'E2E-PRT', traceable: true } });
      expect(r.raw as number).toBeCloseTo(138.5055, 4);
      // 138.5055 Ω → 100.000 °C (IEC 60751), minus the certificate's +0.050 °C error at 100 °C.
      expect(r.value as number).toBeCloseTo(99.95, 3);
      expect(r.u!).toBeCloseTo(Math.sqrt(0.01 ** 2 + 0.005 ** 2), 6);
    }
  });

  it('InfluxDB: every reading stored, value in °C, raw in Ω, raw_unit and u', async () => {
    const db = influxClient(config.influx!);
    const rows = await db.query<{ n: number; value: number; raw: number; raw_unit: string; u: number }>(
      `SELECT count("seq") AS "n", last("value") AS "value", last("raw") AS "raw", last("raw_unit") AS "raw_unit", last("u") AS "u" FROM "reading" WHERE "instrument" = 'prt-01' GROUP BY "unit"`,
    );
    const groups = rows.groups();
    expect(groups.map((g) => g.tags.unit)).toEqual(['°C']);
    const row = groups[0]!.rows[0]!;
    expect(Number(row.n)).toBe(gateway.pipeline.counters.get('prt-01')!.polled);
    expect(row.value).toBeCloseTo(99.95, 3);
    expect(row.raw).toBeCloseTo(138.5055, 4);
    expect(row.raw_unit).toBe('Ω');
    expect(row.u).toBeCloseTo(0.0111803, 6);
  });
});
