import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { startOpcuaSimulator, type OpcuaSimulator } from '../../tools/simulators/opcua/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading } from '../../gateway/reading.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic, statusTopic } from '../../gateway/sinks/mqtt/topics.js';
import { localDate, uniqueName } from '../support/e2e-fixture.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

/** Exact values put on the simulated chamber: what InfluxDB must hold at the end. */
const SERVED = { temperature: 23.4567, humidity: 48.25, temperature_setpoint: 23.5, door_open: true, program: 'humidity ramp' };

describe('end to end: OPC UA subscription → calibration tag → MQTT → ingest → InfluxDB', () => {
  let dir: string;
  let sim: OpcuaSimulator;
  let config: MetrogateConfig;
  let gateway: Gateway;
  let watcher: MqttClient;
  const messages = new Map<string, unknown[]>();
  const seen: Reading[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mg-opcua-e2e-'));
    sim = await startOpcuaSimulator({ pkiDir: join(dir, 'server-pki'), static: true, instruments: [{ id: 'chamber-01', profile: 'climate-chamber' }] });
    const chamber = sim.instrument('chamber-01');
    for (const [ch, v] of Object.entries(SERVED)) chamber.set(ch, v);
    const channels = Object.keys(SERVED).map((ch) => `      - { id: ${ch}, nodeId: "ns=1;s=chamber-01.${ch}", quantity: value, unit: "" }`);
    config = parseConfig(
      `site: ${uniqueName('site')}
gateway: { id: e2e-opcua, logLevel: silent }
mqtt: { url: "${inject('mqttUrl')}", topicPrefix: ${uniqueName('mg')} }
influx: { url: "${inject('influxUrl')}", database: ${uniqueName('db')}, flushIntervalMs: 200 }
ingest: { enabled: true }
instruments:
  - id: chamber-01
    protocol: opcua
    endpoint: ${sim.endpoint}
    security: { pkiDir: "${join(dir, 'client-pki')}" }
    subscription: { publishingIntervalMs: 100, samplingIntervalMs: 50 }
    channels:
${channels.join('\n')}
    calibration: { certificate: OPC-E2E-1, calibrated: "${localDate(-30)}", due: "${localDate(300)}" }
`,
      'opcua-e2e.yaml',
      {},
    );
    watcher = await recordTopics(config.mqtt!.url, `${config.mqtt!.topicPrefix}/#`, messages);

    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    gateway.pipeline.onReadings((b) => seen.push(...b.readings.map((r) => ({ ...r }))));
    await gateway.start();
    await until(() => new Set(seen.map((r) => r.channel)).size === Object.keys(SERVED).length, 'every channel', 15_000);
    chamber.setStatus('humidity', 'BadSensorFailure');
    await until(() => seen.some((r) => r.channel === 'humidity' && r.quality === 'bad'), 'the bad humidity', 15_000);
    chamber.set('humidity', SERVED.humidity);
    await until(() => seen.filter((r) => r.channel === 'humidity').at(-1)?.quality === 'good', 'humidity good again', 15_000);

    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + c.delivered.mqtt!, 0);
    await untilStoredReadings(config.influx!, published);
    await gateway.stop();
  });
  afterAll(async () => {
    await watcher?.endAsync();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const db = () => influxClient(config.influx!);

  it('InfluxDB holds exactly the values the server served, tagged with the instrument calibration', async () => {
    const rows = await db().query<{ value: number | null; text: string | null; certificate: string }>(
      `SELECT last("value") AS "value", last("text") AS "text", last("certificate") AS "certificate" FROM "reading" WHERE "quality" = 'good' GROUP BY "channel", "cal_status"`,
    );
    const got = new Map(rows.groups().map((g) => [g.tags.channel, { ...g.rows[0]!, cal: g.tags.cal_status }]));
    for (const [ch, v] of Object.entries(SERVED)) {
      const row = got.get(ch);
      expect(row, `${ch} in InfluxDB`).toBeDefined();
      if (typeof v === 'string') expect(row!.text).toBe(v);
      else expect(row!.value).toBe(typeof v === 'boolean' ? Number(v) : v);
      expect(row).toMatchObject({ cal: 'valid', certificate: 'OPC-E2E-1' });
    }
  });

  it('the Bad status is stored as a bad point with the status code as its reason', async () => {
    const rows = await db().query<{ reason: string; value: number | null }>(`SELECT "reason", "value" FROM "reading" WHERE "quality" = 'bad'`);
    expect(rows.map((r) => [r.reason, r.value])).toEqual([['BadSensorFailure', null]]);
  });

  it('read = published = written, with a gap-free seq, and the instrument status published online', async () => {
    const c = gateway.pipeline.counters.get('chamber-01')!;
    expect(c.polled).toBe(seen.length);
    expect(c.delivered.mqtt).toBe(c.polled);
    const [count] = await db().query<{ count: number }>(`SELECT count("seq") AS "count" FROM "reading"`);
    expect(Number(count!.count)).toBe(c.polled);
    const batches = messages.get(dataTopic(config.mqtt!.topicPrefix, config.site, 'e2e-opcua', 'chamber-01')) as WireBatch[];
    const seqs = batches.flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const statuses = (messages.get(statusTopic(config.mqtt!.topicPrefix, config.site, 'e2e-opcua', 'chamber-01')) ?? []) as {
      online: boolean;
      cal: { status: string };
    }[];
    expect(statuses[0]).toMatchObject({ online: true, cal: { status: 'valid' } });
  });
});
