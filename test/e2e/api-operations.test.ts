import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { ReadinessSchema, type Readiness } from '../../gateway/api/schemas.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import { benchProfile, channelsFor, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import type { JsonResponse } from '../support/api-client.js';
import { readingBatches, startDemoLabApi, type DemoLabApi } from '../support/demo-lab-api.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { openStream } from '../support/sse-client.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until, waitFor } from '../support/until.js';

/**
 * What the operator's tools see of the API of a gateway polling the demo lab (real Modbus, MQTT,
 * InfluxDB): readiness through start, run and stop, counters that equal what InfluxDB holds, and
 * streams that neither hold up a shutdown nor, when a client stops reading, the gateway. What a
 * lab user reads and does: api-lab-user.test.ts.
 */
describe('HTTP API: readiness, metrics and stream shutdown of a gateway polling the demo lab', () => {
  let lab: DemoLabApi;
  const metrics = async () => parsePrometheusText(await lab.client.text('/metrics'));

  beforeAll(async () => {
    lab = await startDemoLabApi(inject('mqttUrl'), inject('influxUrl'));
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('GET /readyz: 503 with the reason while starting, 200 once drivers run and the broker is connected', async () => {
    const { config, readyWhileStarting } = lab;
    expect(readyWhileStarting.status).toBe(503);
    expect(readyWhileStarting.body.phase).toBe('starting');
    const byName = (r: JsonResponse<Readiness>) => Object.fromEntries(r.body.components.map((c) => [c.name, c]));
    expect(byName(readyWhileStarting)).toMatchObject({
      config: { ready: true },
      drivers: { ready: false, detail: 'starting' },
      'sink:mqtt': { ready: false, detail: 'disconnected' },
    });
    const ready = await lab.client.get(ReadinessSchema, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, phase: 'running' });
    expect(byName(ready)).toMatchObject({
      config: { ready: true, detail: `loaded: site ${config.site}, 4 instruments` },
      drivers: { ready: true, detail: 'started: 4 of 4 instruments online' },
      'sink:mqtt': { ready: true, detail: 'connected' },
      ingest: { ready: true, detail: expect.stringContaining(`database ${config.influx!.database}`) },
    });
  });

  it('closing the API ends its open streams instead of waiting for them', async () => {
    const second = (await serveGatewayApi(lab.gateway, lab.config, silentLogger()))!;
    const stream = await openStream(new URL('/api/readings/stream', second.url).href);
    await stream.waitFor((evs) => evs.some((e) => e.event === 'readings'));
    await second.close();
    await expect(stream.waitFor(() => false, 5000)).rejects.toThrow(/the stream ended/);
  });

  it('GET /metrics: Prometheus text whose counters equal the readings counted in InfluxDB', async () => {
    const { config, sim, gateway, api } = lab;
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

    const stopping = await lab.client.get(ReadinessSchema, '/readyz');
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
