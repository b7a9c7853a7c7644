import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { makeCerts, seqsByInstrument, startReceiver, type TestCerts } from '../integration/cloud-fixture.js';
import { demoLab } from '../support/e2e-fixture.js';
import { oneTo, restartableInfluxDB, restartableMosquitto, storedSeqs, type Restartable } from './faults-fixture.js';
import { until } from '../support/until.js';

/** How much longer the platform stays away once readings wait for it. */
const PLATFORM_AWAY_MORE_MS = 1500;

/** Faults 4 and 5: the cloud platform unreachable for a while; the spool's disk quota exceeded. */
describe('faults: the cloud uplink is unreachable, the disk quota is exceeded', () => {
  let certs: TestCerts;
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => {
    certs?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('4. cloud uplink unreachable, then back: everything arrives, in order per instrument', async () => {
    const port = await freePort(); // nothing listens here until the platform "comes back"
    const edge = await startMosquitto();
    const { config: base, sim } = await demoLab(edge.url, 'http://127.0.0.1:1', 100);
    const config: MetrogateConfig = {
      ...base,
      spool: { dir: tmp('metrogate-faults-cloud-'), synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 30_000 },
      cloud: {
        enabled: true,
        url: `https://127.0.0.1:${port}/platform/v1`,
        token: 'fault-four-token',
        ca: certs.ca,
        format: 'json',
        topicPrefix: 'metrogate',
        inOrder: true,
        maxInFlight: 16,
        batchMaxReadings: 40,
        timeoutMs: 5000,
      },
    };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    const cloud = () => gateway.pipeline.spoolStats().find((s) => s.sink === 'cloud')!;
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
    try {
      await until(() => cloud().depth >= 100, 'readings to wait for the platform', 30_000);
      expect(cloud().lastError).toMatch(/ECONNREFUSED/);
      expect(cloud().connected).toBe(false);
      // The platform stays away across more of the uplink's retries: a deliberate outage length.
      await new Promise((r) => setTimeout(r, PLATFORM_AWAY_MORE_MS));
      receiver = await startReceiver(certs, 'fault-four-token', port);
      await until(() => cloud().depth < 20 && receiver!.received.length > 0, 'the platform to take the backlog', 30_000);
      // Live readings go on after the replay: the platform gets seqs polled after it caught up.
      const atCatchUp = new Map(config.instruments.map((i) => [i.id, gateway.pipeline.counters.get(i.id)!.polled]));
      const newest = () => new Map([...seqsByInstrument(receiver!.received)].map(([id, seqs]) => [id, Math.max(...seqs)]));
      await until(() => [...atCatchUp].every(([id, n]) => (newest().get(id) ?? 0) > n), 'readings polled after the catch-up at the platform', {
        timeoutMs: 15_000,
        observe: () => ({ atCatchUp, newest: newest() }),
      });
      await gateway.stopPolling();
      expect(cloud().depth).toBe(0);
      expect(receiver.problems).toEqual([]);
      const seqs = seqsByInstrument(receiver.received);
      for (const inst of config.instruments) {
        const polled = gateway.pipeline.counters.get(inst.id)!.polled;
        expect(polled, inst.id).toBeGreaterThan(20);
        // In order, each reading once.
        expect(seqs.get(inst.id), inst.id).toEqual(oneTo(polled));
      }
      expect(cloud()).toMatchObject({ dropped: 0, rejected: 0, lastError: null, connected: true });
    } finally {
      await gateway.stop();
      await receiver?.close();
      await sim.stop();
      await edge.stop();
    }
  }, 90_000);

  it('5. disk quota exceeded: the oldest are dropped, the count is exact per instrument, exposed and logged', async () => {
    const broker: Restartable = await restartableMosquitto();
    const influx: Restartable = await restartableInfluxDB();
    const { config: base, sim } = await demoLab(broker.url, influx.url, 50);
    const config: MetrogateConfig = {
      ...base,
      mqtt: { ...base.mqtt, maxInFlight: 4 },
      spool: { dir: tmp('metrogate-faults-quota-'), maxBytes: 65_536, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 30_000 },
    };
    const logs: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    );
    // The ingest role in a gateway of its own: its persistent session waits at the broker.
    const ingest = buildGateway(config, silentLogger(), { drivers: false, ingest: true });
    const gateway = buildGateway(config, log, { drivers: true, ingest: false });
    const mqtt = () => gateway.pipeline.spoolStats().find((s) => s.sink === 'mqtt')!;
    try {
      await ingest.start();
      // The broker is down from the start: everything waits in a spool that holds ~64 KiB.
      await broker.stop();
      await gateway.start();
      await until(() => mqtt().dropped > 200, 'the quota to drop readings', 30_000);
      expect(mqtt().spoolBytes).toBeLessThanOrEqual(65_536);
      expect(mqtt().maxBytes).toBe(65_536);
      await broker.start();
      await until(() => mqtt().depth < 20, 'the spool to drain once the broker is back', 30_000);
      await gateway.stopPolling();
      const dropped = mqtt().dropped;
      expect(mqtt().depth).toBe(0);

      let droppedPerInstrument = 0;
      for (const inst of config.instruments) {
        const c = gateway.pipeline.counters.get(inst.id)!;
        await until(
          async () => (await storedSeqs(influx.url, config.influx!.database, inst.id)).length >= c.polled - c.dropped.mqtt!,
          `${inst.id} in InfluxDB`,
          30_000,
        );
        const stored = await storedSeqs(influx.url, config.influx!.database, inst.id);
        const kept = new Set(stored);
        const missing = oneTo(c.polled).filter((seq) => !kept.has(seq));
        // Exactly as many as counted are missing, one run of the oldest. Only the batches that were
        // in flight when the broker went away (at most mqtt.maxInFlight) are older: the quota
        // never drops what the sink may still acknowledge.
        expect(c.dropped.mqtt, inst.id).toBeGreaterThan(0);
        expect(stored.length, inst.id).toBe(c.polled - c.dropped.mqtt!);
        expect(missing, inst.id).toHaveLength(c.dropped.mqtt!);
        expect(missing, inst.id).toEqual(missing.map((_, i) => missing[0]! + i));
        expect(missing[0]! - 1, inst.id).toBeLessThanOrEqual(config.mqtt!.maxInFlight * inst.channels.length);
        expect(stored.at(-1), inst.id).toBe(c.polled);
        droppedPerInstrument += c.dropped.mqtt!;
      }
      expect(droppedPerInstrument).toBe(dropped);
      const warned = logs.filter((l) => l.msg === 'spool quota reached: oldest readings dropped');
      expect(warned.length).toBeGreaterThan(0);
      expect(warned.reduce((n, l) => n + Number(l.readings), 0)).toBe(dropped);
      expect(warned.every((l) => l.sink === 'mqtt' && l.reason === 'quota-bytes' && l.maxBytes === 65_536)).toBe(true);
      await gateway.stop();
    } finally {
      await ingest.stop();
      await sim.stop();
      await Promise.all([broker.dispose(), influx.dispose()]);
    }
  }, 120_000);
});
