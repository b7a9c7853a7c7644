import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { demoLab, ROOT } from '../support/e2e-fixture.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'gateway/schemas', name), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(schema('reading-batch.schema.json'));
const validateBatch = ajv.getSchema('https://metrogate.dev/schemas/reading-batch.v1.json')!;
const validateStatus = ajv.compile(schema('instrument-status.schema.json'));
const validateState = ajv.compile(schema('gateway-state.schema.json'));

/** Exact values put on the simulated instruments, in engineering units (as the gateway must report them). */
const SERVED: Record<string, Record<string, number | boolean | string>> = {
  'bath-01': { temperature: 23.4567, heater_power: 41.7, setpoint: 23.5, circulating: true },
  'pressure-01': { pressure: 201.234, setpoint: 200, stable: false },
  'balance-01': { mass: 99.9987, stable: true, tare: 0 },
  'dmm-01': { voltage: 10.0000123, range: 10, serial: 'MG-DMM-E2E' },
};

describe('end to end: Modbus TCP → calibration tag → MQTT → ingest → InfluxDB', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let watcher: MqttClient;
  const messages = new Map<string, unknown[]>();

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    for (const [id, values] of Object.entries(SERVED)) for (const [ch, v] of Object.entries(values)) sim.device(id).set(ch, v);
    watcher = await recordTopics(config.mqtt!.url, `${config.mqtt!.topicPrefix}/#`, messages);
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    const polled = (id: string) => gateway.pipeline.counters.get(id)?.polled ?? 0;
    await until(() => config.instruments.every((i) => polled(i.id) >= 5 * i.channels.length), 'five poll cycles of every instrument', {
      observe: () => Object.fromEntries(config.instruments.map((i) => [i.id, polled(i.id)])),
    });
    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + c.delivered.mqtt!, 0);
    await untilStoredReadings(config.influx!, published);
    await gateway.stop();
    // The watcher has seen the gateway's last word, its retained 'offline' state.
    const stateTopic = `${config.mqtt!.topicPrefix}/${config.site}/e2e-gw/state`;
    await until(() => (messages.get(stateTopic) as { state: string }[] | undefined)?.at(-1)?.state === 'offline', 'the offline state on the watcher', {
      observe: () => messages.get(stateTopic),
    });
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await sim?.stop();
  });

  const prefix = () => `${config.mqtt!.topicPrefix}/${config.site}/e2e-gw`;
  const db = () => influxClient(config.influx!);

  it('polled = published = written to InfluxDB, per instrument, and every reading was good', async () => {
    const rows = await db().query<{ count: number }>(`SELECT count("seq") AS "count" FROM "reading" GROUP BY "instrument"`);
    const written = new Map(rows.groups().map((g) => [g.tags.instrument, Number(g.rows[0]!.count)]));
    for (const inst of config.instruments) {
      const c = gateway.pipeline.counters.get(inst.id)!;
      expect(c.polled, inst.id).toBeGreaterThanOrEqual(5 * inst.channels.length);
      expect(c.notGood, inst.id).toBe(0);
      expect(c.delivered.mqtt, inst.id).toBe(c.polled);
      expect(written.get(inst.id), inst.id).toBe(c.polled);
      const received = (messages.get(`${prefix()}/${inst.id}/data`) ?? []) as WireBatch[];
      expect(
        received.reduce((n, b) => n + b.readings.length, 0),
        inst.id,
      ).toBe(c.polled);
    }
  });

  it('InfluxDB holds exactly the values the instruments served, after register scaling', async () => {
    const rows = await db().query<{ instrument: string; channel: string; value: number | null; text: string | null }>(
      `SELECT last("value") AS "value", last("text") AS "text" FROM "reading" GROUP BY "instrument", "channel"`,
    );
    const got = new Map(rows.groups().map((g) => [`${g.tags.instrument}.${g.tags.channel}`, g.rows[0]!]));
    for (const [id, values] of Object.entries(SERVED)) {
      for (const [ch, v] of Object.entries(values)) {
        const row = got.get(`${id}.${ch}`);
        expect(row, `${id}.${ch} in InfluxDB`).toBeDefined();
        if (typeof v === 'string') expect(row!.text).toBe(v);
        else if (typeof v === 'boolean') expect(row!.value).toBe(v ? 1 : 0);
        else {
          // What the device served is the set value at the register type's precision (float32: ~7 digits).
          expect(row!.value).toBe(sim.device(id).value(ch));
          expect(row!.value).toBeCloseTo(v, 5);
        }
      }
    }
  });

  it('tags every point with its instrument calibration status, certificate and traceability', async () => {
    const rows = await db().query<{ certificate: string | null; traceable: boolean; days_to_due: number | null }>(
      // One measuring channel per instrument: a record covers one unit (bath-01's heater power in %
      // is not traceable to its °C certificate, and says so in cal_reason).
      `SELECT last("certificate") AS "certificate", last("traceable") AS "traceable", last("days_to_due") AS "days_to_due" FROM "reading" ` +
        `WHERE "channel" =~ /^(temperature|pressure|mass|voltage)$/ GROUP BY "instrument", "cal_status"`,
    );
    const byInstrument = new Map(rows.groups().map((g) => [g.tags.instrument, { status: g.tags.cal_status, ...g.rows[0]! }]));
    expect(byInstrument.get('bath-01')).toMatchObject({ status: 'valid', certificate: 'E2E-VALID', traceable: true, days_to_due: 200 });
    expect(byInstrument.get('pressure-01')).toMatchObject({ status: 'due_soon', certificate: 'E2E-SOON', traceable: true, days_to_due: 10 });
    expect(byInstrument.get('balance-01')).toMatchObject({ status: 'expired', certificate: 'E2E-EXPIRED', traceable: false, days_to_due: -5 });
    expect(byInstrument.get('dmm-01')).toMatchObject({ status: 'uncalibrated', certificate: null, traceable: false });
    expect(rows.groups()).toHaveLength(4);
  });

  it('every data message validates against the committed JSON Schema and carries a gap-free seq', () => {
    for (const inst of config.instruments) {
      const batches = messages.get(`${prefix()}/${inst.id}/data`) as WireBatch[];
      for (const b of batches) expect(validateBatch(b), JSON.stringify(validateBatch.errors)).toBe(true);
      const seqs = batches.flatMap((b) => b.readings.map((r) => r.seq));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it('publishes a retained status per instrument and the gateway state, online then offline', async () => {
    for (const inst of config.instruments) {
      const statuses = messages.get(`${prefix()}/${inst.id}/status`) ?? [];
      expect(statuses.length, inst.id).toBeGreaterThan(0);
      for (const s of statuses) expect(validateStatus(s), JSON.stringify(validateStatus.errors)).toBe(true);
      expect(statuses[0]).toMatchObject({ instrument: inst.id, online: true, gateway: 'e2e-gw' });
    }
    expect((messages.get(`${prefix()}/balance-01/status`)![0] as { cal: { status: string } }).cal.status).toBe('expired');
    const states = messages.get(`${prefix()}/state`) as { state: string }[];
    for (const s of states) expect(validateState(s), JSON.stringify(validateState.errors)).toBe(true);
    expect(states.map((s) => s.state)).toEqual(['online', 'offline']);

    // Retained: a client that connects now still learns the last state of each.
    const late = await connectAsync(config.mqtt!.url, { protocolVersion: 5 });
    const retained = new Map<string, { online?: boolean; state?: string }>();
    late.on('message', (t, p, packet) => {
      if (packet.retain) retained.set(t, JSON.parse(p.toString()));
    });
    await late.subscribeAsync(`${prefix()}/+/status`);
    await late.subscribeAsync(`${prefix()}/state`);
    await until(() => retained.has(`${prefix()}/state`) && retained.has(`${prefix()}/bath-01/status`), 'the retained state and status', {
      observe: () => [...retained.keys()],
    });
    await late.endAsync();
    expect(retained.get(`${prefix()}/state`)?.state).toBe('offline');
    expect(retained.get(`${prefix()}/bath-01/status`)?.online).toBe(true);
  });
});
