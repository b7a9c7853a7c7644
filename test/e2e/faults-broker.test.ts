import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab } from '../support/e2e-fixture.js';
import { oneTo, restartableInfluxDB, restartableMosquitto, storedSeqs, type Restartable } from './faults-fixture.js';
import { until } from '../support/until.js';

/**
 * Faults 1 and 2: the broker, then the database, stop for a while and come back while the
 * instruments keep being polled. Every reading the gateway polled must end up in InfluxDB once:
 * for each instrument the stored seqs are exactly 1..polled.
 */
describe('faults: the broker or the database goes away and comes back', () => {
  let broker: Restartable;
  let influx: Restartable;
  const dirs: string[] = [];

  beforeAll(async () => {
    [broker, influx] = await Promise.all([restartableMosquitto(), restartableInfluxDB()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([broker?.dispose(), influx?.dispose()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function lab(log: Logger = silentLogger()): Promise<{ gateway: Gateway; config: MetrogateConfig; sim: Simulator }> {
    const { config: base, sim } = await demoLab(broker.url, influx.url, 100);
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-spool-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      // A small window: during an outage nearly everything waits on disk, not in mqtt.js's queue.
      mqtt: { ...base.mqtt, maxInFlight: 8 },
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 30_000 },
    };
    const gateway = buildGateway(config, log, { drivers: true, ingest: true });
    await gateway.start();
    return { gateway, config, sim };
  }

  /** Stops polling, delivers, and checks InfluxDB holds 1..polled for every instrument. */
  async function expectEverythingStoredOnce(gateway: Gateway, config: MetrogateConfig): Promise<void> {
    await gateway.stopPolling();
    const polled = new Map(config.instruments.map((i) => [i.id, gateway.pipeline.counters.get(i.id)!.polled]));
    for (const [id, n] of polled) expect(gateway.pipeline.counters.get(id)!.delivered.mqtt, id).toBe(n);
    await until(
      async () => {
        for (const [id, n] of polled) if ((await storedSeqs(influx.url, config.influx!.database, id)).length < n) return false;
        return true;
      },
      'InfluxDB to hold every polled reading',
      30_000,
    );
    await gateway.stop();
    for (const [id, n] of polled) {
      expect(n, id).toBeGreaterThan(20);
      expect(await storedSeqs(influx.url, config.influx!.database, id), id).toEqual(oneTo(n));
    }
  }

  it('1. Mosquitto stopped for a while and restarted: nothing lost, nothing duplicated in InfluxDB', async () => {
    // The gateway's log, as an operator reads it: a replay from disk can end between two looks at
    // the spool's stats, its log line cannot be missed.
    const events: { msg?: string; sink?: string }[] = [];
    const { gateway, config, sim } = await lab(pino({ level: 'info' }, { write: (line: string) => events.push(JSON.parse(line) as { msg?: string }) }));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const outageFrom = events.length;
      await broker.stop();
      const mqtt = () => gateway.pipeline.spoolStats().find((s) => s.sink === 'mqtt')!;
      await until(() => mqtt().depth >= 60, 'readings to wait in the spool while the broker is down', 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const waiting = mqtt().depth;
      await broker.start();
      await until(() => mqtt().depth < 20, 'the spool to drain into the restarted broker', 30_000);
      const replayed = events.slice(outageFrom).some((e) => e.msg === 'replaying the spool' && e.sink === 'mqtt');
      expect(replayed).toBe(true);
      expect(waiting).toBeGreaterThan(60);
      expect(mqtt().dropped).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      await expectEverythingStoredOnce(gateway, config);
    } finally {
      await sim.stop();
    }
  }, 90_000);

  it('2. InfluxDB stopped for a while and restarted: nothing lost, nothing duplicated', async () => {
    const { gateway, config, sim } = await lab();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await influx.stop();
      await new Promise((r) => setTimeout(r, 3000));
      await influx.start();
      await new Promise((r) => setTimeout(r, 1000));
      await expectEverythingStoredOnce(gateway, config);
    } finally {
      await sim.stop();
    }
  }, 90_000);
});
