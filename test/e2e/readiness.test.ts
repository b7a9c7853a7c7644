import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { serveGatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab } from '../support/e2e-fixture.js';
import { influxSeries } from '../support/influx-query.js';
import { restartableInfluxDB, type Restartable } from './faults-fixture.js';
import { until } from '../support/until.js';

interface Component {
  name: string;
  ready: boolean;
  detail: string;
}

interface Readyz {
  status: number;
  components: Record<string, Component>;
}

/**
 * /readyz says whether data reaches its destinations now: while InfluxDB is down, the direct sink
 * and the ingest role (both writing to it) are not ready and the endpoint answers 503, although
 * config, drivers and the broker are fine; once InfluxDB is back, 200 again. Real InfluxDB,
 * stopped and started; real Mosquitto; real Modbus simulators.
 */
describe('readiness follows the writes that actually succeed', () => {
  let influx: Restartable;
  const dirs: string[] = [];

  beforeAll(async () => {
    influx = await restartableInfluxDB();
  }, 60_000);
  afterAll(async () => {
    await influx?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('InfluxDB down: 503 naming the direct sink and the ingest role; back up: 200', async () => {
    const { config: base, sim } = await demoLab(inject('mqttUrl'), influx.url, 200);
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-readiness-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 10_000 },
      influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false } },
    };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    const api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    const readyz = async (): Promise<Readyz> => {
      const res = await fetch(new URL('/readyz', api.url));
      const body = (await res.json()) as { components: Component[] };
      return { status: res.status, components: Object.fromEntries(body.components.map((c) => [c.name, c])) };
    };
    try {
      await gateway.start();
      api.running();
      await until(async () => (await readyz()).status === 200, '/readyz 200 with InfluxDB up', 30_000);

      await influx.stop();
      let down: Readyz | undefined;
      await until(
        async () => {
          down = await readyz();
          return down.components.ingest?.ready === false && down.components['sink:influx']?.ready === false;
        },
        'the ingest role and the direct sink to report failing writes',
        30_000,
      );
      expect(down!.status).toBe(503);
      expect(down!.components['sink:influx']!.detail).toMatch(/^(writes failing: .+|disconnected)/);
      expect(down!.components.ingest!.detail).toMatch(/^writes failing: .+; database /);
      // What does work still says so: the failure is pinned on the parts that fail.
      expect(down!.components).toMatchObject({
        config: { ready: true },
        drivers: { ready: true },
        'sink:mqtt': { ready: true, detail: 'connected' },
      });
      expect(gateway.ingest!.stats.writeErrors).toBeGreaterThan(0);

      await influx.start();
      await until(async () => (await readyz()).status === 200, '/readyz 200 again once InfluxDB is back', 30_000);
      const up = await readyz();
      expect(up.components).toMatchObject({ 'sink:influx': { ready: true, detail: 'connected' }, ingest: { ready: true } });
    } finally {
      api.stopping();
      await gateway.stop();
      await api.close();
      await sim.stop();
    }
  }, 90_000);

  it('an idle ingest started while InfluxDB is down turns ready once InfluxDB comes up, with nothing published', async () => {
    await influx.stop();
    const { config: lab, sim } = await demoLab(inject('mqttUrl'), influx.url, 200);
    await sim.stop();
    // The ingest role alone (no drivers, so no sink and no stats of its own): nothing is published to it.
    const config: MetrogateConfig = { ...lab, instruments: [] };
    const gateway = buildGateway(config, silentLogger(), { drivers: false, ingest: true });
    const api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    const ingestReady = async (): Promise<Component> => {
      const res = await fetch(new URL('/readyz', api.url));
      return ((await res.json()) as { components: Component[] }).components.find((c) => c.name === 'ingest')!;
    };
    try {
      await gateway.start();
      api.running();
      // The fault took place: InfluxDB was not there when the ingest started.
      const down = await ingestReady();
      expect(down).toMatchObject({ ready: false, detail: expect.stringMatching(/^writes failing: .*ECONNREFUSED/) });

      await influx.start();
      await until(async () => (await ingestReady()).ready, 'the idle ingest to turn ready once InfluxDB is up', 20_000);
      expect(gateway.ingest!.stats).toMatchObject({ messages: 0, points: 0 });
      // It turned ready because its database now exists, as InfluxDB itself says.
      const databases = await influxSeries(influx.url, '_internal', 'SHOW DATABASES');
      expect(databases[0]!.values.flat()).toContain(config.influx!.database);
    } finally {
      api.stopping();
      await gateway.stop();
      await api.close();
    }
  }, 90_000);
});
