/**
 * A PRT read in Ω, as the gateway's other consumers see it: the live-readings API and its SSE
 * stream, and a Sparkplug B host (decoded by Eclipse Tahu). Each must say that raw is in Ω while
 * the value is in °C, or a consumer reads 138.5 as a temperature.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import type { ModbusTcpInstrumentConfig } from '../../config/schema.js';
import { startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { PRT_PROFILE, prtInstrument } from '../support/prt-fixture.js';
import { until } from '../support/until.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { type BrokerConfig, demoLab, uniqueName } from '../support/e2e-fixture.js';
import { openStream } from '../support/sse-client.js';

const tahu = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0') as {
  decodePayload(b: Uint8Array): { metrics?: TahuMetric[] };
};
interface TahuMetric {
  name?: string;
  value: unknown;
  properties?: Record<string, { type: string; value: unknown }>;
}

describe('a PRT read in Ω: rawUnit reaches the API, SSE and Sparkplug B', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-prt-consumers-'));
  const group = uniqueName('grp');
  const births: TahuMetric[] = [];
  const data: TahuMetric[] = [];
  let config: BrokerConfig;
  let demoSim: Simulator;
  let sim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  let host: MqttClient;

  beforeAll(async () => {
    const lab = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    demoSim = lab.sim;
    sim = await startSimulator({ devices: [{ id: 'prt-01', profile: PRT_PROFILE, static: true }] });
    const prt: ModbusTcpInstrumentConfig = {
      ...prtInstrument(sim.device('prt-01').port),
    };
    // The cloud section with the loader's defaults, as a user's YAML would get them.
    const cloud = parseConfig(
      `site: s\ninstruments: []\ncloud: { enabled: true, url: "${lab.config.mqtt.url}", format: sparkplug, sparkplug: { groupId: ${group}, edgeNodeId: edge-1 } }\n`,
      join(dir, 'cloud.yaml'),
    ).cloud;
    config = {
      ...lab.config,
      instruments: [prt],
      ingest: { ...lab.config.ingest!, enabled: false },
      cloud,
      spool: { ...lab.config.spool!, dir: join(dir, 'spool') },
    };
    host = await connectAsync(config.mqtt.url, { protocolVersion: 5 });
    host.on('message', (topic, payload) => {
      const type = topic.split('/')[2];
      const metrics = tahu.decodePayload(payload).metrics ?? [];
      if (type === 'DBIRTH') births.push(...metrics);
      if (type === 'DDATA') data.push(...metrics);
    });
    await host.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    await gateway.start();
    api.running();
  });
  afterAll(async () => {
    await gateway?.stop();
    await api?.close();
    await host?.endAsync();
    await sim?.stop();
    await demoSim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/instruments/prt-01: the latest reading has raw in Ω, rawUnit Ω, value in °C', async () => {
    const url = new URL('/api/instruments/prt-01', api.url).href;
    type Latest = { raw: number; rawUnit: string | null; value: number; unit: string };
    let latest: Latest | null = null;
    const deadline = Date.now() + 10_000;
    while (latest === null) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a latest reading of prt-01');
      const body = (await (await fetch(url)).json()) as { channels: { latest: Latest | null }[] };
      latest = body.channels[0]!.latest;
      if (latest === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(latest).toMatchObject({ rawUnit: 'Ω', unit: '°C' });
    expect(latest.raw).toBeCloseTo(138.5055, 4);
    expect(latest.value).toBeCloseTo(100, 3);
  });

  it('SSE /api/readings/stream: each reading carries rawUnit Ω beside raw', async () => {
    const stream = await openStream(new URL('/api/readings/stream', api.url).href);
    try {
      await stream.waitFor((events) => events.some((e) => e.event === 'readings'), 10_000);
      const readings = stream.events.filter((e) => e.event === 'readings').flatMap((e) => (e.data as WireBatch).readings);
      for (const r of readings) expect(r).toMatchObject({ rawUnit: 'Ω', unit: '°C' });
    } finally {
      stream.close();
    }
  });

  it('Sparkplug B: DBIRTH states rawUnit Ω on the channel metric; each DDATA value carries raw and rawUnit', async () => {
    await until(() => births.length > 0 && data.filter((m) => m.properties?.rawUnit).length >= 3, 'a DBIRTH and 3 DDATA values of prt', 15_000);
    const birth = births.find((m) => m.name === 'prt')!;
    expect(birth.properties).toMatchObject({ engUnit: { value: '°C' }, rawUnit: { type: 'String', value: 'Ω' } });
    expect(births.find((m) => m.name === 'prt/u')!.properties!.rawUnit).toBeUndefined();
    const values = data.filter((m) => m.properties?.rawUnit);
    for (const m of values) {
      expect(m.properties!.rawUnit).toEqual({ type: 'String', value: 'Ω' });
      expect(m.properties!.raw!.value as number).toBeCloseTo(138.5055, 4);
      expect(m.value as number).toBeCloseTo(100, 3);
    }
  });
});
