import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { InfluxConfig, MetrogateConfig } from '../../config/schema.js';
import { serveGatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { InfluxSink } from '../../gateway/sinks/influx/influx-sink.js';
import { serialiseBatch, type WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic } from '../../gateway/sinks/mqtt/topics.js';
import { RejectedBatchError } from '../../gateway/sinks/sink-errors.js';
import { demoLab, uniqueName } from '../support/e2e-fixture.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { until } from '../support/until.js';

const cal = Object.freeze({ status: 'due_soon' as const, certificate: 'C "7", rev 2', due: '2027-01-01', daysToDue: -3, traceable: false });

function reading(instrument: string, i: number, ts: number, over: Partial<Reading> = {}): Reading {
  return {
    site: 'lab-x',
    instrument,
    channel: `ch-${i}`,
    quantity: 'air temperature, 2 m',
    unit: '°C',
    ts,
    seq: i + 1,
    raw: 20 + i / 8,
    value: 20.01 + i / 8,
    quality: 'good',
    u: 0.0125,
    k: 2,
    cal,
    ...over,
  };
}

/** A batch with what makes line protocol hard: escaping (in the ids' place, what the wire allows), NaN, booleans, strings, bad quality, no unit. */
function awkwardBatch(instrument: string, ts: number): ReadingBatch {
  return {
    site: 'lab-x',
    instrument,
    readings: [
      reading(instrument, 0, ts),
      reading(instrument, 1, ts, { value: Number.NaN, raw: Number.NaN, u: Number.NaN }),
      reading(instrument, 2, ts, { value: true, raw: true, unit: '' }),
      reading(instrument, 3, ts, { value: 'OK "ready"', raw: 'OK "ready"', u: undefined, k: undefined }),
      reading(instrument, 4, ts, { value: null, raw: null, quality: 'bad', reason: 'exception:2 (illegal data address)' }),
      reading(instrument, 5, ts, { value: -0, raw: 1e-7, cal: { ...cal, certificate: null, daysToDue: null } }),
    ],
  };
}

/** How the line protocol stores a number or boolean: booleans as 1/0 (one type per field); strings go to `text`. */
const asStored = (v: Reading['value']): unknown => (typeof v === 'boolean' ? Number(v) : v);

describe('direct InfluxDB sink (spool → InfluxDB)', () => {
  const influxUrl = inject('influxUrl');
  const mqttUrl = inject('mqttUrl');
  const dirs: string[] = [];
  const influxFor = (database: string): InfluxConfig => ({
    url: influxUrl,
    database,
    measurement: 'reading',
    batchSize: 5000,
    flushIntervalMs: 200,
    writeConcurrency: 2,
  });
  const sinkConfig = { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('renders the same lines from a gateway batch as the ingest does from its MQTT message', () => {
    const batch = awkwardBatch('bath 1', 1_795_000_000_123);
    const renderer = new LineProtocolRenderer('reading');
    const direct: string[] = [];
    const viaWire: string[] = [];
    renderer.render({ ...batch, gateway: 'gw', epoch: 'e1' }, direct);
    renderer.render(JSON.parse(serialiseBatch({ ...batch, epoch: 'e1' }, 'gw')) as WireBatch, viaWire);
    expect(direct).toHaveLength(6);
    expect(direct).toEqual(viaWire);
  });

  it('writes the very points the ingest writes: the same batch through either path leaves InfluxDB unchanged', async () => {
    const database = uniqueName('db');
    const sink = new InfluxSink(influxFor(database), sinkConfig, silentLogger(), 'gw');
    await sink.start();
    const batch = { ...awkwardBatch('bath-1', Date.now() - 5000), epoch: 'e1' };
    await sink.write(batch);
    await sink.stop();
    const db = influxClient({ url: influxUrl, database });
    const all = async () => JSON.stringify(await db.query('SELECT * FROM "reading" GROUP BY *'));
    const series = async () => JSON.stringify(await db.query('SHOW SERIES'));
    const [pointsBefore, seriesBefore] = [await all(), await series()];
    expect(JSON.parse(pointsBefore)).toHaveLength(6);

    const prefix = uniqueName('mg');
    const ingest = new Ingest({
      mqtt: { url: mqttUrl, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
      influx: influxFor(database),
      ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 60, maxAgeDays: 400, maxAheadMinutes: 60 },
      log: silentLogger(),
      clientId: uniqueName('ingest'),
    });
    await ingest.start();
    const publisher = await connectAsync(mqttUrl, { protocolVersion: 5 });
    try {
      await publisher.publishAsync(dataTopic(prefix, 'lab-x', 'gw', 'bath-1'), serialiseBatch(batch, 'gw'), { qos: 1 });
      await until(() => ingest.stats.points === 6, 'the ingest to write the batch', 15_000);
    } finally {
      await publisher.endAsync();
      await ingest.stop();
    }
    expect(await all()).toBe(pointsBefore);
    expect(await series()).toBe(seriesBefore);
  });

  it('a line InfluxDB refuses costs only itself: its cycle keeps its other readings, a cycle of nothing but refused lines is rejected', async () => {
    const database = uniqueName('db');
    const influx = influxFor(database);
    const ts = Date.now() - 60_000;
    // `text` becomes a float field in this shard, so a reading with a string value is refused (400, field type conflict).
    await influxClient(influx).createDatabase(database);
    await new InfluxWriter(influx).write([`reading,site=other text=1 ${ts}000000`]);
    const sink = new InfluxSink(influx, sinkConfig, silentLogger());
    await sink.start();
    const good = (i: number): ReadingBatch => ({ site: 'lab', instrument: `good-${i}`, readings: [0, 1, 2].map((c) => reading(`good-${i}`, c, ts + i)) });
    const partly: ReadingBatch = {
      site: 'lab',
      instrument: 'partly',
      readings: [reading('partly', 0, ts), reading('partly', 1, ts, { value: 'OPEN', raw: 'OPEN' })],
    };
    const refused: ReadingBatch = { site: 'lab', instrument: 'refused', readings: [reading('refused', 0, ts, { value: 'SHUT', raw: 'SHUT' })] };
    // Written within one linger: they travel in one request, and InfluxDB answers 400 for it.
    const outcomes = await Promise.allSettled([good(1), good(2), partly, good(3), refused, good(4)].map((b) => sink.write(b)));
    await sink.stop();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const reason = (outcomes[4] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(RejectedBatchError);
    expect(reason.message).toMatch(/field type conflict/);
    const rows = await influxClient(influx).query<{ instrument: string; n: number }>(
      `SELECT count("seq") AS "n" FROM "reading" WHERE "site" = 'lab' GROUP BY "instrument"`,
    );
    const counts = Object.fromEntries(rows.groups().map((g) => [g.tags.instrument, Number(g.rows[0]!.n)]));
    expect(counts).toEqual({ 'good-1': 3, 'good-2': 3, 'good-3': 3, 'good-4': 3, partly: 1 });
  });

  it('a gateway stores every polled reading through it, with its tags, and shows the sink in /metrics and spool stats', async () => {
    const { config: base, sim } = await demoLab(mqttUrl, influxUrl);
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-influx-sink-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      api: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        trendPoints: 5,
        stream: { heartbeatMs: 1000, maxClientBufferBytes: 16_384, maxClients: 4 },
      } as MetrogateConfig['api'],
      spool: { dir: join(dir, 'spool'), synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 10_000 },
      influx: { ...base.influx!, sink: sinkConfig },
    };
    const polled: Reading[] = [];
    // No ingest role: whatever reaches InfluxDB came through the direct sink.
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    gateway.pipeline.onReadings((b) => polled.push(...b.readings.map((r) => ({ ...r }))));
    const api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    try {
      await gateway.start();
      api.running();
      await until(
        () => config.instruments.every((i) => (gateway.pipeline.counters.get(i.id)?.polled ?? 0) >= 3 * i.channels.length),
        'three poll cycles of every instrument',
        15_000,
      );
      await gateway.stopPolling();

      const stats = gateway.pipeline.spoolStats().find((s) => s.sink === 'influx')!;
      expect(stats).toMatchObject({ depth: 0, dropped: 0, rejected: 0, connected: true, delivered: polled.length });
      const m = parsePrometheusText(await (await fetch(new URL('/metrics', api.url))).text());
      for (const inst of config.instruments) {
        const n = polled.filter((r) => r.instrument === inst.id).length;
        expect(sampleValue(m, 'metrogate_readings_published_total', { instrument: inst.id, sink: 'influx' }), inst.id).toBe(n);
      }
      expect(sampleValue(m, 'metrogate_sink_connected', { sink: 'influx' })).toBe(1);
      expect(sampleValue(m, 'metrogate_spool_depth', { sink: 'influx' })).toBe(0);

      const rows = await influxClient(config.influx!).query<Record<string, unknown>>(`SELECT * FROM "reading" WHERE "site" = '${config.site}'`);
      expect(rows).toHaveLength(polled.length);
      const stored = new Map(rows.map((row) => [`${String(row.instrument)}/${String(row.channel)}/${(row.time as Date).getTime()}`, row]));
      for (const r of polled) {
        const row = stored.get(`${r.instrument}/${r.channel}/${r.ts}`);
        expect(row, `${r.instrument}/${r.channel} seq ${r.seq}`).toBeDefined();
        expect(row).toMatchObject({
          site: config.site,
          quantity: r.quantity,
          cal_status: r.cal.status,
          quality: r.quality,
          seq: r.seq,
          traceable: r.cal.traceable,
          certificate: r.cal.certificate,
          ...(typeof r.value === 'string' ? { text: r.value, value: null } : { value: asStored(r.value), raw: asStored(r.raw) }),
        });
        expect(row!.unit ?? '').toBe(r.unit);
      }
      expect(new Set(polled.map((r) => r.cal.status))).toEqual(new Set(['valid', 'due_soon', 'expired', 'uncalibrated']));
    } finally {
      await gateway.stop();
      await api.close();
      await sim.stop();
    }
  });
});
