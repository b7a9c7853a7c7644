import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Driver } from '../../drivers/driver.js';
import { serveGatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { demoLab, uniqueName } from '../support/e2e-fixture.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

/** The one retained message on `topic`, as a new subscriber gets it (null while there is none). */
async function retained(url: string, topic: string): Promise<{ instruments: unknown[] } | null> {
  const client: MqttClient = await connectAsync(url, { protocolVersion: 5 });
  try {
    const got = new Promise<{ instruments: unknown[] }>((resolve) => client.once('message', (_t, p) => resolve(JSON.parse(p.toString()))));
    await client.subscribeAsync(topic, { qos: 1 });
    return await Promise.race([got, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
  } finally {
    await client.endAsync();
  }
}

const driverOf = (gateway: Gateway, id: string): Driver | undefined => gateway.drivers.find((d) => d.stats().some((s) => s.instrument === id));

/**
 * A hot reload reaches every part that holds the instrument list, not only the pollers: the API
 * (/api/instruments/:id, /metrics), the retained gateway state on the edge broker, the cloud
 * roster and the Sparkplug births. A changed instrument restarts alone; the others keep polling
 * on the same driver.
 */
describe('hot reload: every holder of the instrument list follows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-reload-holders-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an added instrument shows in the API, /metrics, the retained state, the roster and Sparkplug births; a changed one restarts alone', async () => {
    const { config: lab, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    const group = uniqueName('grp');
    const cloudPrefix = uniqueName('cloud');
    const config: MetrogateConfig = {
      ...lab,
      spool: { ...DEFAULT_SPOOL, dir: join(dir, 'spool') },
      cloud: {
        enabled: true,
        url: lab.mqtt.url,
        format: 'sparkplug',
        topicPrefix: cloudPrefix,
        inOrder: true,
        maxInFlight: 64,
        batchMaxReadings: 5000,
        timeoutMs: 10_000,
        sparkplug: { groupId: group, edgeNodeId: 'edge-r' },
      },
      instruments: lab.instruments.filter((i) => i.id !== 'balance-01'),
    };
    const spb = new Map<string, unknown[]>();
    const births: string[] = [];
    const host = await connectAsync(lab.mqtt.url, { protocolVersion: 5 });
    host.on('message', (topic) => births.push(topic));
    await host.subscribeAsync(`spBv1.0/${group}/+/edge-r/#`, { qos: 1 });
    const roster = await recordTopics(lab.mqtt.url, `${cloudPrefix}/${config.site}/e2e-gw/roster`, spb);
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    const api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    const get = (path: string) => fetch(new URL(path, api.url));
    try {
      await gateway.start();
      api.running();
      expect((await get('/api/instruments/balance-01')).status).toBe(404);
      const bath = driverOf(gateway, 'bath-01');
      const pressure = driverOf(gateway, 'pressure-01');
      const dmm = driverOf(gateway, 'dmm-01');

      const next: MetrogateConfig = {
        ...config,
        instruments: lab.instruments.map((i) => (i.id === 'dmm-01' ? { ...i, channels: i.channels.slice(0, 2) } : i)) as MetrogateConfig['instruments'],
      };
      const plan = await gateway.reload(next);
      expect(plan).toMatchObject({
        added: ['balance-01'],
        changed: ['dmm-01'],
        units: { stop: ['modbus-tcp dmm-01'], start: ['modbus-tcp balance-01', 'modbus-tcp dmm-01'] },
      });
      // Only the changed instrument restarted: the others poll on, on the same driver.
      expect(driverOf(gateway, 'bath-01')).toBe(bath);
      expect(driverOf(gateway, 'pressure-01')).toBe(pressure);
      expect(driverOf(gateway, 'dmm-01')).not.toBe(dmm);

      const res = await get('/api/instruments/balance-01');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'balance-01', channels: expect.any(Array) });
      const dmmView = (await (await get('/api/instruments/dmm-01')).json()) as { channels: { id: string }[] };
      expect(dmmView.channels.map((c) => c.id)).toEqual(['voltage', 'range']);
      await until(
        async () => {
          const m = parsePrometheusText(await (await get('/metrics')).text());
          return sampleValue(m, 'metrogate_readings_polled_total', { instrument: 'balance-01' }) > 0;
        },
        'balance-01 in /metrics with polled readings',
        30_000,
      );

      const stateTopic = `${lab.mqtt.topicPrefix}/${config.site}/e2e-gw/state`;
      await until(
        async () => ((await retained(lab.mqtt.url, stateTopic))?.instruments ?? []).includes('balance-01'),
        'balance-01 in the retained gateway state',
        30_000,
      );
      await until(
        () => {
          const last = spb.get(`${cloudPrefix}/${config.site}/e2e-gw/roster`)?.at(-1) as { instruments: { id: string }[] } | undefined;
          return last?.instruments.some((i) => i.id === 'balance-01') === true;
        },
        'balance-01 in the cloud roster',
        30_000,
      );
      await until(() => births.includes(`spBv1.0/${group}/DBIRTH/edge-r/balance-01`), 'a Sparkplug DBIRTH for balance-01', 30_000);
      expect(births.filter((t) => t.endsWith('/NBIRTH/edge-r'))).toHaveLength(2);
    } finally {
      api.stopping();
      await gateway.stop();
      await api.close();
      await host.endAsync();
      await roster.endAsync();
      await sim.stop();
    }
  }, 60_000);
});
