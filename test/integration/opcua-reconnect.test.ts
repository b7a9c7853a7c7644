import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpcuaInstrumentConfig } from '../../config/schema.js';
import { OpcuaDriver, type OpcuaInstrumentStats } from '../../drivers/opcua/opcua-driver.js';
import { channelsFor, profileByName, startOpcuaSimulator, type OpcuaSimulator } from '../../tools/simulators/opcua/index.js';
import { silentLogger } from '../../gateway/log.js';
import { CollectOutput } from '../support/collect-output.js';

const CHAMBER = profileByName('climate-chamber');
let dir: string;
let sim: OpcuaSimulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-opcua-restart-'));
  sim = await startOpcuaSimulator({
    pkiDir: join(dir, 'server-pki'),
    static: true,
    instruments: [{ id: 'chamber', profile: 'climate-chamber' }],
  });
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function instrument(id: string, read: 'subscribe' | 'poll'): OpcuaInstrumentConfig {
  return {
    id,
    protocol: 'opcua',
    endpoint: sim.endpoint,
    security: { mode: 'None', policy: 'Basic256Sha256', pkiDir: join(dir, 'client-pki') },
    read,
    timestamps: 'source',
    subscription: { publishingIntervalMs: 100, samplingIntervalMs: 50, queueSize: 1, maxItemsPerSubscription: 1000 },
    polling: { intervalMs: 200, maxNodesPerRead: 500 },
    timeoutMs: 2000,
    reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
    channels: channelsFor('chamber', CHAMBER),
  };
}

describe('OPC UA server restart', () => {
  it('readings resume by themselves, with the instrument offline (and its readings bad) in between', async () => {
    const chamber = sim.instrument('chamber');
    chamber.set('temperature', 21.5);
    const out = new CollectOutput();
    const driver = new OpcuaDriver('lab', [instrument('subscribed', 'subscribe'), instrument('polled', 'poll')], silentLogger());
    driver.start(out);
    try {
      const temperature = (id: string) =>
        out
          .of(id)
          .flatMap((b) => b.readings)
          .filter((r) => r.channel === 'temperature');
      await out.until(() => temperature('subscribed').at(-1)?.raw === 21.5 && temperature('polled').at(-1)?.raw === 21.5, 'readings before the restart');
      const port = sim.port;

      const down = out.batches.length;
      await sim.stop();
      await out.until(() => ['subscribed', 'polled'].every((id) => out.statuses.filter((s) => s.instrument === id).at(-1)?.online === false), 'both offline');
      // Let the driver fail a few reconnection attempts (and poll cycles) while the server is away.
      const gapOf = (id: string) =>
        out.batches
          .slice(down)
          .flatMap((b) => b.readings)
          .filter((r) => r.instrument === id);
      await out.until(() => gapOf('polled').length >= 2 * CHAMBER.points.length, 'two poll cycles while the server is away');
      const gap = out.batches.slice(down).flatMap((b) => b.readings);
      expect(gap.length).toBeGreaterThan(0);
      for (const r of gap)
        expect(r, `${r.instrument}.${r.channel}`).toMatchObject({ quality: 'bad', raw: null, reason: expect.stringMatching(/^disconnected: /) });
      // The subscribed channels get one bad reading each for the gap; the polled ones one per cycle.
      expect(gap.filter((r) => r.instrument === 'subscribed').map((r) => r.channel)).toEqual(CHAMBER.points.map((p) => p.channel));
      expect(gap.filter((r) => r.instrument === 'polled').length).toBeGreaterThanOrEqual(2 * CHAMBER.points.length);

      chamber.set('temperature', 22.75);
      await sim.start();
      expect(sim.port).toBe(port);
      await out.until(
        () => temperature('subscribed').at(-1)?.raw === 22.75 && temperature('polled').at(-1)?.raw === 22.75,
        'readings after the restart',
        20_000,
      );
      for (const id of ['subscribed', 'polled']) {
        expect(
          out.statuses.filter((s) => s.instrument === id).map((s) => s.online),
          id,
        ).toEqual([true, false, true]);
      }
      const stats = driver.stats() as OpcuaInstrumentStats[];
      expect(stats[0]).toMatchObject({ online: true, sessions: 2, subscriptions: 1, monitoredItems: CHAMBER.points.length });
      expect(stats[1]).toMatchObject({ online: true, sessions: 2 });

      // And it keeps flowing: a later change arrives too, and seq never skipped over the restart.
      chamber.set('temperature', 23.125);
      await out.until(() => temperature('subscribed').at(-1)?.raw === 23.125, 'a change after the restart');
      for (const id of ['subscribed', 'polled']) {
        const seqs = out.of(id).flatMap((b) => b.readings.map((r) => r.seq));
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      }
    } finally {
      await driver.stop();
    }
  });

  it('a network that silently drops everything (no reset, no close) is noticed, and collection resumes when it is back', async () => {
    const proxy = await blackholeProxy(sim.port);
    const out = new CollectOutput();
    const config = { ...instrument('behind-proxy', 'subscribe'), endpoint: sim.endpoint.replace(`:${sim.port}/`, `:${proxy.port}/`), timeoutMs: 1000 };
    const driver = new OpcuaDriver('lab', [config], silentLogger());
    driver.start(out);
    try {
      const chamber = sim.instrument('chamber');
      const temperature = () =>
        out
          .of('behind-proxy')
          .flatMap((b) => b.readings)
          .filter((r) => r.channel === 'temperature');
      chamber.set('temperature', 30.5);
      await out.until(() => temperature().at(-1)?.raw === 30.5, 'readings through the proxy');

      proxy.drop(true);
      await out.until(() => out.statuses.at(-1)?.online === false, 'offline while the network drops everything', 20_000);
      expect(out.statuses.at(-1)!.error).toMatch(/no publish response|keep-alive|timed out|connection/i);

      proxy.drop(false);
      chamber.set('temperature', 31.25);
      await out.until(() => temperature().at(-1)?.raw === 31.25, 'readings once the network is back', 20_000);
      expect(out.statuses.map((s) => s.online)).toEqual([true, false, true]);
    } finally {
      await driver.stop();
      await proxy.close();
    }
  });
});

/** A TCP proxy that can swallow every byte in both directions while keeping the sockets open. */
async function blackholeProxy(target: number): Promise<{ port: number; drop(on: boolean): void; close(): Promise<void> }> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => dropping || upstream.write(d));
    upstream.on('data', (d) => dropping || client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    drop: (on) => (dropping = on),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
