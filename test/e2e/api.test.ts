import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load-config.js';
import { benchProfile, channelsFor, startSimulator } from '../../tools/simulators/modbus/index.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { demoLab, localDate, ROOT, uniqueName } from '../support/e2e-fixture.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { openStream, type StreamEvent } from '../support/sse-client.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until, waitFor } from '../support/until.js';

const TOKEN = 'test-token-0123456789abcdef';
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateBatch = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'gateway/schemas/reading-batch.schema.json'), 'utf8')) as object);

/** Exact values put on the simulated instruments (as the API must report them). */
const SERVED: Record<string, Record<string, number | boolean | string>> = {
  'bath-01': { temperature: 23.4567, heater_power: 41.7, setpoint: 23.5, circulating: true },
  'pressure-01': { pressure: 201.234, setpoint: 200, stable: false },
  'balance-01': { mass: 99.9987, stable: true, tare: 0 },
  'dmm-01': { voltage: 10.0000123, range: 10, serial: 'MG-DMM-E2E' },
};
const EXPECTED_CAL: Record<string, { status: string; certificate: string | null; traceable: boolean }> = {
  'bath-01': { status: 'valid', certificate: 'E2E-VALID', traceable: true },
  'pressure-01': { status: 'due_soon', certificate: 'E2E-SOON', traceable: true },
  'balance-01': { status: 'expired', certificate: 'E2E-EXPIRED', traceable: false },
  'dmm-01': { status: 'uncalibrated', certificate: null, traceable: false },
};

interface Json {
  status: number;
  headers: Headers;
  // Response bodies are checked field by field against what the test expects.
  body: any;
}

describe('HTTP API on a gateway polling the demo lab (real Modbus, MQTT, InfluxDB)', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  let readyWhileStarting: Json;
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-api-'));
  const url = (path: string) => new URL(path, api.url).href;
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Json> => {
    const res = await fetch(url(path), { headers });
    return { status: res.status, headers: res.headers, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Json> => {
    const res = await fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const metrics = async () => parsePrometheusText((await get('/metrics')).body as string);

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    for (const [id, values] of Object.entries(SERVED)) for (const [ch, v] of Object.entries(values)) sim.device(id).set(ch, v);
    config = {
      ...config,
      api: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        token: TOKEN,
        trendPoints: 5,
        stream: { heartbeatMs: 200, maxClientBufferBytes: 16_384, maxClients: 4 },
      },
      // Records posted here and the spool stay in this test's own folder.
      calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
      spool: { ...DEFAULT_SPOOL, dir: join(dir, 'spool') },
    };
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    readyWhileStarting = await get('/readyz');
    await gateway.start();
    api.running();
    // Every instrument has read at least twice.
    const polled = () => [...gateway.pipeline.counters.values()].map((c) => c.polled);
    await until(() => polled().every((n) => n >= 2 * 4), 'two poll cycles of every instrument', { observe: polled });
  });
  afterAll(async () => {
    await gateway?.stop();
    await api?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /readyz: 503 with the reason while starting, 200 once drivers run and the broker is connected', async () => {
    expect(readyWhileStarting.status).toBe(503);
    expect(readyWhileStarting.body.phase).toBe('starting');
    const byName = (r: Json) => Object.fromEntries((r.body.components as { name: string }[]).map((c) => [c.name, c]));
    expect(byName(readyWhileStarting)).toMatchObject({
      config: { ready: true },
      drivers: { ready: false, detail: 'starting' },
      'sink:mqtt': { ready: false, detail: 'disconnected' },
    });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, phase: 'running' });
    expect(byName(ready)).toMatchObject({
      config: { ready: true, detail: `loaded: site ${config.site}, 4 instruments` },
      drivers: { ready: true, detail: 'started: 4 of 4 instruments online' },
      'sink:mqtt': { ready: true, detail: 'connected' },
      ingest: { ready: true, detail: expect.stringContaining(`database ${config.influx!.database}`) },
    });
  });

  it('GET /api/instruments: every instrument, the exact latest value per channel, its calibration tag and online state', async () => {
    const res = await get('/api/instruments');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ site: config.site, gateway: 'e2e-gw' });
    expect(res.body.instruments.map((i: { id: string }) => i.id)).toEqual(['bath-01', 'pressure-01', 'balance-01', 'dmm-01']);
    for (const inst of res.body.instruments) {
      const cfg = config.instruments.find((i) => i.id === inst.id)!;
      expect(inst).toMatchObject({ name: cfg.name, lab: cfg.lab, protocol: 'modbus-tcp', online: true, error: null });
      expect(inst.calibration, inst.id).toMatchObject(EXPECTED_CAL[inst.id]!);
      expect(inst.channels.map((c: { id: string }) => c.id)).toEqual(cfg.channels.map((c) => c.id));
      for (const ch of inst.channels) {
        const served = sim.device(inst.id).value(ch.id);
        const unit = cfg.channels.find((c) => c.id === ch.id)!.unit;
        expect(ch.latest, `${inst.id}.${ch.id}`).toMatchObject({ value: served, raw: served, unit, quality: 'good', reason: null });
        expect(ch.latest.seq).toBeGreaterThan(0);
        expect(Date.now() - ch.latest.ts).toBeLessThan(10_000);
        // Trend: the last numeric values (at most api.trendPoints), here all the same value.
        if (typeof served === 'number') {
          expect(ch.trend.length).toBeGreaterThanOrEqual(2);
          expect(ch.trend.length).toBeLessThanOrEqual(5);
          expect(new Set(ch.trend)).toEqual(new Set([served]));
        } else expect(ch.trend).toEqual([]);
      }
    }
  });

  // The HTTP layer alone (404/400 answers, the token, request schemas, OpenAPI, the page's files):
  // test/unit/api-http.test.ts, through inject() on fake deps.
  it('GET /api/instruments/:id: one instrument, its calibration from the running engine', async () => {
    const one = await get('/api/instruments/balance-01');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'balance-01', lab: 'mass-lab', calibration: { status: 'expired', daysToDue: -5 } });
  });

  it('GET /api/calibration: the status of every instrument and its records', async () => {
    const all = await get('/api/calibration');
    expect(all.status).toBe(200);
    expect(
      all.body.records.map((r: { instrument: string; certificate: string; source: string }) => `${r.instrument} ${r.certificate} ${r.source}`).sort(),
    ).toEqual(['balance-01 E2E-EXPIRED config', 'bath-01 E2E-VALID config', 'pressure-01 E2E-SOON config']);
    expect(Object.fromEntries(all.body.instruments.map((i: { instrument: string; calibration: unknown }) => [i.instrument, i.calibration]))).toMatchObject(
      EXPECTED_CAL,
    );
    const one = await get('/api/calibration?instrument=pressure-01');
    expect(one.body.instruments).toHaveLength(1);
    expect(one.body.instruments[0]).toMatchObject({ instrument: 'pressure-01', lab: 'pressure-lab', calibration: { status: 'due_soon', daysToDue: 10 } });
    expect(one.body.records).toHaveLength(1);
    expect(one.body.records[0]).toMatchObject({ certificate: 'E2E-SOON', instrument: 'pressure-01', due: localDate(10), source: 'config' });
  });

  const RECORD = {
    certificate: 'API-2026-001',
    instrument: 'bath-01',
    kind: 'calibration',
    calibrated: '2026-01-10',
    due: '2027-01-10',
    unit: '°C',
    errorTable: [{ reference: 25, indication: 25.012, error: 0.012, U: 0.01, k: 2 }],
    traceability: [{ standard: 'SPRT 5187', certificate: 'NIM-2025-1' }],
  };

  it('with the token, a posted record corrects the next readings at once; quarantine and release change the status', async () => {
    // Two points around the bath's 23.4567 °C: E(23.4567) = 0.010 + 0.004 × 3.4567 / 10.
    const record = {
      ...RECORD,
      certificate: 'API-NEW-1',
      calibrated: localDate(-1),
      due: localDate(364),
      errorTable: [
        { reference: 19.99, indication: 20, error: 0.01, U: 0.01, k: 2 },
        { reference: 29.986, indication: 30, error: 0.014, U: 0.01, k: 2 },
      ],
    };
    const seqBefore = (await get('/api/instruments/bath-01')).body.channels[0].latest.seq;
    const added = await post('/api/calibration/records', record, bearer);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ certificate: 'API-NEW-1', source: 'api' });
    const again = await post('/api/calibration/records', record, bearer);
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('calibration record API-NEW-1 for bath-01: certificate API-NEW-1 is already recorded for bath-01');
    expect((await get('/api/calibration?instrument=bath-01')).body.records.map((r: { certificate: string }) => r.certificate)).toEqual([
      'API-NEW-1',
      'E2E-VALID',
    ]);

    let bath = (await get('/api/instruments/bath-01')).body;
    expect(bath.calibration).toEqual({ status: 'valid', certificate: 'API-NEW-1', laboratory: null, due: localDate(364), daysToDue: 364, traceable: true });
    bath = await waitFor(
      'four more bath readings after the record',
      async () => (await get('/api/instruments/bath-01')).body,
      (b) => b.channels[0].latest.seq > seqBefore + 4,
      { intervalMs: 100 },
    );
    const t = bath.channels[0].latest;
    expect(t.raw).toBe(sim.device('bath-01').value('temperature'));
    expect(t.value).toBeCloseTo(t.raw - (0.01 + (0.004 * (t.raw - 20)) / 10), 12);
    expect(t.u).toBeCloseTo(0.005, 12);
    expect(t.k).toBe(2);

    const stream = await openStream(url('/api/readings/stream?instrument=bath-01'));
    try {
      const quarantined = await post('/api/instruments/bath-01/quarantine', { reason: 'failed intermediate check', by: 'api-test' }, bearer);
      expect(quarantined.status).toBe(200);
      expect(quarantined.body).toEqual({ instrument: 'bath-01', calibration: expect.objectContaining({ status: 'quarantined', traceable: false }) });
      expect((await get('/api/instruments/bath-01')).body.calibration.status).toBe('quarantined');
      await stream.waitFor((evs) => readingBatches(evs).some((b) => b.readings[0]!.cal.status === 'quarantined'));
      const released = await post('/api/instruments/bath-01/release', { reason: 'recheck passed' }, bearer);
      expect(released.status).toBe(200);
      expect(released.body.calibration).toMatchObject({ status: 'valid', certificate: 'API-NEW-1' });
      const n = readingBatches(stream.events).length;
      await stream.waitFor((evs) =>
        readingBatches(evs)
          .slice(n)
          .some((b) => b.readings[0]!.cal.status === 'valid'),
      );
    } finally {
      stream.close();
    }
  });

  it('closing the API ends its open streams instead of waiting for them', async () => {
    const second = (await serveGatewayApi(gateway, config, silentLogger()))!;
    const stream = await openStream(new URL('/api/readings/stream', second.url).href);
    await stream.waitFor((evs) => evs.some((e) => e.event === 'readings'));
    await second.close();
    await expect(stream.waitFor(() => false, 5000)).rejects.toThrow(/the stream ended/);
  });

  it('GET /api/readings/stream: live batches as SSE, filtered by instrument, with heartbeats', async () => {
    const one = await openStream(url('/api/readings/stream?instrument=pressure-01'));
    const all = await openStream(url('/api/readings/stream'));
    try {
      await one.waitFor((evs) => evs.filter((e) => e.event === 'readings').length >= 4 && evs.some((e) => e.event === 'heartbeat'));
      await all.waitFor((evs) => new Set(readingBatches(evs).map((b) => b.instrument)).size === 4);
    } finally {
      one.close();
      all.close();
    }
    expect(one.events[0]).toEqual({ event: 'hello', data: { gateway: 'e2e-gw' } });
    const batches = readingBatches(one.events);
    for (const b of batches) expect(validateBatch(b), JSON.stringify(validateBatch.errors)).toBe(true);
    expect(new Set(batches.map((b) => b.instrument))).toEqual(new Set(['pressure-01']));
    const seqs = batches.flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(batches[0]!.readings.find((r) => r.channel === 'pressure')).toMatchObject({
      value: sim.device('pressure-01').value('pressure'),
      unit: 'kPa',
      cal: { status: 'due_soon' },
    });

    expect((await get('/api/readings/stream?instrument=bath-01,nope-2')).status).toBe(404);
  });

  it('GET /metrics: Prometheus text whose counters equal the readings counted in InfluxDB', async () => {
    // Make one device fail for a while, so that error counters have something to count.
    sim.device('dmm-01').setFaults({ exception: { code: 2 } });
    const notGood = () => gateway.pipeline.counters.get('dmm-01')!.notGood;
    const target = notGood() + 6;
    await until(() => notGood() >= target, 'six bad dmm readings', { observe: notGood });
    sim.device('dmm-01').clearFaults();
    // Good again before polling stops, so the instrument ends online.
    const dmmState = () => gateway.pipeline.counters.get('dmm-01')!.polled - notGood();
    const goodBefore = dmmState();
    await until(() => dmmState() > goodBefore, 'a good dmm reading after the fault', { observe: dmmState });

    await gateway.stopPolling();
    api.stopping();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + c.delivered.mqtt!, 0);
    const db = influxClient(config.influx!);
    const counted = async (where = '') => {
      const rows = await db.query<{ count: number }>(`SELECT count("seq") AS "count" FROM "reading" ${where} GROUP BY "instrument"`);
      return new Map(rows.groups().map((g) => [g.tags.instrument!, Number(g.rows[0]!.count)]));
    };
    // Published is not yet stored: wait until InfluxDB holds as many readings.
    await untilStoredReadings(config.influx!, published, { timeoutMs: 15_000 });
    const written = await counted();
    const bad = await counted(`WHERE "quality" = 'bad'`);
    const m = await metrics();
    expect(m.get('metrogate_readings_polled_total')!.type).toBe('counter');
    let total = 0;
    let polls = 0;
    for (const inst of config.instruments) {
      const id = { instrument: inst.id };
      const polled = sampleValue(m, 'metrogate_readings_polled_total', id);
      expect(polled, inst.id).toBeGreaterThan(0);
      expect(polled, inst.id).toBe(written.get(inst.id));
      expect(sampleValue(m, 'metrogate_readings_published_total', { ...id, sink: 'mqtt' }), inst.id).toBe(polled);
      expect(sampleValue(m, 'metrogate_readings_dropped_total', { ...id, sink: 'mqtt' }), inst.id).toBe(0);
      expect(sampleValue(m, 'metrogate_readings_not_good_total', id), inst.id).toBe(bad.get(inst.id) ?? 0);
      // One reading per channel per poll cycle.
      expect(sampleValue(m, 'metrogate_polls_total', id) * inst.channels.length, inst.id).toBe(polled);
      polls += sampleValue(m, 'metrogate_polls_total', id);
      total += polled;
    }
    expect(bad.get('dmm-01')).toBeGreaterThanOrEqual(6);
    expect(sampleValue(m, 'metrogate_poll_errors_total', { instrument: 'dmm-01' })).toBeGreaterThan(0);
    expect(sampleValue(m, 'metrogate_poll_errors_total', { instrument: 'bath-01' })).toBe(0);
    expect(sampleValue(m, 'metrogate_poll_timeouts_total', { instrument: 'dmm-01' })).toBe(0);
    // Points are readings plus calibration events and gateway statistics.
    expect(sampleValue(m, 'metrogate_ingest_points_written_total', { database: config.influx!.database })).toBe(gateway.ingest!.stats.points);
    expect(gateway.ingest!.stats.points).toBeGreaterThanOrEqual(total);
    // Every completed poll cycle was observed once by the duration histogram.
    expect(m.get('metrogate_poll_cycle_duration_seconds')!.type).toBe('histogram');
    expect(sampleValue(m, 'metrogate_poll_cycle_duration_seconds_count')).toBe(polls);
    expect(sampleValue(m, 'metrogate_poll_cycle_duration_seconds_bucket', { le: '+Inf' })).toBe(polls);
    expect(sampleValue(m, 'metrogate_instrument_online', { instrument: 'bath-01' })).toBe(1);
    expect(sampleValue(m, 'metrogate_sink_connected', { sink: 'mqtt' })).toBe(1);
    // Everything polled was acknowledged: nothing waits in the spool, nothing was dropped.
    expect(sampleValue(m, 'metrogate_spool_depth', { sink: 'mqtt' })).toBe(0);
    expect(sampleValue(m, 'metrogate_spool_oldest_age_seconds', { sink: 'mqtt' })).toBe(0);
    expect(sampleValue(m, 'metrogate_spool_dropped_total', { sink: 'mqtt' })).toBe(0);
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);

    const stopping = await get('/readyz');
    expect(stopping.status).toBe(503);
    expect(stopping.body.phase).toBe('stopping');
  });
});

describe('HTTP API: a slow stream client', () => {
  let sim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-api-slow-'));

  beforeAll(async () => {
    // One wide, fast instrument (125 registers every 20 ms, ~1 MB/s of events): enough to fill a
    // socket's kernel buffers (up to ~4 MB on loopback) in seconds, before our bound is reached.
    sim = await startSimulator({ devices: [{ profile: 'bench', id: 'wide-1', registers: 125 }] });
    const config = parseConfig(
      stringify({
        site: uniqueName('site'),
        gateway: { id: 'slow-gw', logLevel: 'silent' },
        mqtt: { url: inject('mqttUrl'), topicPrefix: uniqueName('mg'), qos: 0 },
        api: { port: 0, stream: { heartbeatMs: 1000, maxClientBufferBytes: 65_536, maxClients: 4 } },
        calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
        spool: { dir: join(dir, 'spool') },
        instruments: [
          {
            id: 'wide-1',
            lab: 'bench',
            protocol: 'modbus-tcp',
            pollIntervalMs: 20,
            connection: { host: '127.0.0.1', port: sim.device('wide-1').port },
            channels: channelsFor(benchProfile(125)),
          },
        ],
      }),
      'slow.yaml',
      {},
    );
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    await gateway.start();
    api.running();
  });
  afterAll(async () => {
    await gateway?.stop();
    await api?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const metrics = async () => parsePrometheusText(await (await fetch(new URL('/metrics', api.url))).text());

  it('a stream client that stops reading is dropped once its buffer is full; the gateway and other clients go on', async () => {
    const before = await metrics();
    expect(sampleValue(before, 'metrogate_api_stream_clients_dropped_total')).toBe(0);
    const polledBefore = gateway.pipeline.counters.get('wide-1')!.polled;
    // A raw socket that sends the request and then never reads: its kernel buffers fill, then ours.
    const slow = connect(Number(new URL(api.url).port), '127.0.0.1');
    let closedByServer = false;
    slow.on('close', () => (closedByServer = true));
    slow.on('error', () => undefined);
    slow.write('GET /api/readings/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    slow.pause();
    const healthy = await openStream(new URL('/api/readings/stream', api.url).href);
    try {
      const dropped = await waitFor(
        'the slow client dropped',
        async () => sampleValue(await metrics(), 'metrogate_api_stream_clients_dropped_total'),
        (n) => n > 0,
        { timeoutMs: 25_000, intervalMs: 200 },
      );
      expect(dropped).toBe(1);
      const seen = readingBatches(healthy.events).length;
      await healthy.waitFor((evs) => readingBatches(evs).length >= seen + 4);
      expect(gateway.pipeline.counters.get('wide-1')!.polled).toBeGreaterThan(polledBefore);
      slow.resume();
      await until(() => closedByServer, 'the server to close the slow socket');
      expect(closedByServer).toBe(true);
      expect(sampleValue(await metrics(), 'metrogate_api_stream_clients')).toBe(1);
    } finally {
      healthy.close();
      slow.destroy();
    }
  }, 45_000);
});

function readingBatches(events: StreamEvent[]): WireBatch[] {
  return events.filter((e) => e.event === 'readings').map((e) => e.data as WireBatch);
}
