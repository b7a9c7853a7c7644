import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { MqttSink } from '../../gateway/sinks/mqtt/mqtt-sink.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataSubscription, dataTopic } from '../../gateway/sinks/mqtt/topics.js';
import { SpoolDelivery } from '../../gateway/spool/spool-delivery.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { restartableMosquitto, type Restartable } from '../e2e/faults-fixture.js';
import { until } from '../support/until.js';

/** Recent enough for the ingest's timestamp check, fixed for the whole file (replays land on the same points). */
const T0 = Date.now() - 3_600_000;
const cal = { status: 'valid' as const, certificate: 'C', due: '2030-01-01', daysToDue: 1000, traceable: true };

function batch(site: string, instrument: string, seq: number): ReadingBatch {
  const r: Reading = { site, instrument, channel: 'c', quantity: 'q', unit: 'V', ts: T0 + seq, seq, raw: seq, value: seq, quality: 'good', cal };
  return { site, instrument, readings: [r] };
}

async function stored(influxUrl: string, database: string): Promise<number> {
  const rows = await influxClient({ url: influxUrl, database })
    .query<{ n: number }>('SELECT count("seq") AS "n" FROM "reading"')
    .catch(() => []);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The broker side of "never lose a reading": a Mosquitto with persistence restarted under two
 * ingesters on one shared subscription, and a gateway publishing while nobody subscribes.
 */
describe('broker restarts and subscribers', () => {
  const influxUrl = inject('influxUrl');
  const brokers: Restartable[] = [];
  const clients: MqttClient[] = [];
  const ingests: Ingest[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const i of ingests) await i.stop();
    for (const c of clients) await c.endAsync(true);
    for (const b of brokers) await b.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('after a broker restart (persistence on), both ingesters of a shared subscription receive again within seconds', async () => {
    const broker = await restartableMosquitto();
    brokers.push(broker);
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const site = 'restart-site';
    const ingest = (n: number) => {
      const i = new Ingest({
        mqtt: { url: broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
        influx: { url: influxUrl, database, measurement: 'reading', batchSize: 5000, flushIntervalMs: 100, writeConcurrency: 2 },
        ingest: { enabled: true, sites: ['+'], group: 'ingest', sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
        log: silentLogger(),
        clientId: `${prefix}-ingest-${n}`,
      });
      ingests.push(i);
      return i;
    };
    const [a, b] = [ingest(1), ingest(2)];
    await Promise.all([a.start(), b.start()]);
    let seq = 0;
    const publishUntilBothReceive = async (what: string) => {
      const publisher = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
      const [ma, mb] = [a.stats.messages, b.stats.messages];
      try {
        await until(
          async () => {
            await publisher.publishAsync(dataTopic(prefix, site, 'gw', 'inst'), serialiseBatch(batch(site, 'inst', ++seq), 'gw'), { qos: 1 });
            return a.stats.messages > ma && b.stats.messages > mb;
          },
          what,
          10_000,
        );
      } finally {
        await publisher.endAsync();
      }
    };
    await publishUntilBothReceive('both ingesters to receive before the restart');

    await broker.stop();
    await broker.start();
    await publishUntilBothReceive('both ingesters to receive within 10 s of the broker restart');

    // The fault happened as described: the broker dropped the $share subscriptions with the restart.
    await until(() => a.listeningHealth()?.sharedSubscriptionsAcrossRestart === 'subscription-lost', 'the probe to see the lost $share subscription', 10_000);
    expect(a.listeningHealth()).toMatchObject({ subscribed: true, problems: [], deaf: false, ready: true });
    expect(await stored(influxUrl, database), 'what they received is stored').toBeGreaterThan(0);
  }, 60_000);

  it('an ingest started while the broker is down keeps trying and subscribes once it is up', async () => {
    const broker = await restartableMosquitto({ start: false });
    brokers.push(broker);
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const i = new Ingest({
      mqtt: { url: broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
      influx: { url: influxUrl, database, measurement: 'reading', batchSize: 5000, flushIntervalMs: 100, writeConcurrency: 2 },
      ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
      log: silentLogger(),
      clientId: uniqueName('ingest'),
    });
    ingests.push(i);
    await i.start();
    expect(i.listeningHealth()).toMatchObject({ subscribed: false, ready: false });
    await broker.start();
    await until(() => i.listeningHealth()?.subscribed === true, 'the ingest to subscribe once the broker is up', 15_000);
    const publisher = await connectAsync(broker.url, { protocolVersion: 5 });
    clients.push(publisher);
    await publisher.publishAsync(dataTopic(prefix, 's', 'gw', 'inst'), serialiseBatch(batch('s', 'inst', 1), 'gw'), { qos: 1 });
    await until(async () => (await stored(influxUrl, database)) === 1, 'the reading stored', 30_000);
  }, 40_000);

  it('a subscription the broker grants below QoS 1 is reported and makes the ingest not ready', async () => {
    const broker = await startMosquitto({ extraConfig: ['max_qos 0'] });
    try {
      const i = new Ingest({
        mqtt: { url: broker.url, topicPrefix: uniqueName('mg'), qos: 1, maxInFlight: 10 },
        influx: { url: influxUrl, database: uniqueName('db'), measurement: 'reading', batchSize: 5000, flushIntervalMs: 100, writeConcurrency: 2 },
        ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
        log: silentLogger(),
        clientId: uniqueName('ingest'),
      });
      ingests.push(i);
      await i.start();
      await until(() => (i.listeningHealth()?.problems.length ?? 0) > 0, 'the SUBACK to be checked', 10_000);
      expect(i.listeningHealth()).toMatchObject({ subscribed: false, ready: false });
      expect(i.listeningHealth()!.problems).toEqual(expect.arrayContaining([expect.objectContaining({ problem: 'downgraded', reasonCode: 0 })]));
    } finally {
      await broker.stop();
    }
  }, 30_000);

  describe('a gateway publishing while no one subscribes (PUBACK reason 16)', () => {
    const run = async (requireSubscribers: boolean) => {
      const broker = await restartableMosquitto();
      brokers.push(broker);
      const prefix = uniqueName('mg');
      const site = 'lonely-site';
      const dir = mkdtempSync(join(tmpdir(), 'metrogate-reason16-'));
      dirs.push(dir);
      const sink = new MqttSink({
        site,
        gateway: 'gw',
        instruments: ['inst'],
        mqtt: { url: broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 16, requireSubscribers },
        log: silentLogger(),
      });
      const delivery = new SpoolDelivery({
        config: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 1000 },
        site,
        targets: [{ sink, maxInFlight: 16, inOrder: false }],
        log: silentLogger(),
        hooks: { delivered: () => undefined, dropped: () => undefined },
      });
      delivery.open();
      await delivery.start();
      for (let s = 1; s <= 20; s++) delivery.accept(batch(site, 'inst', s));
      return { broker, prefix, site, sink, delivery };
    };

    it('requireSubscribers on: nothing counts as delivered until a subscriber takes it, then all of it does', async () => {
      const { broker, prefix, site, sink, delivery } = await run(true);
      try {
        await until(() => sink.refusedNoSubscribers() >= 20, 'the broker to answer reason 16 for every batch', 10_000);
        expect(delivery.stats()[0]).toMatchObject({ depth: 20, delivered: 0 });
        expect(delivery.stats()[0]!.lastError).toMatch(/reason 16/);

        const received = new Set<number>();
        const subscriber = await connectAsync(broker.url, { protocolVersion: 5 });
        clients.push(subscriber);
        subscriber.on('message', (_t, payload) => {
          for (const r of (JSON.parse(payload.toString()) as { readings: { seq: number }[] }).readings) received.add(r.seq);
        });
        await subscriber.subscribeAsync(dataSubscription(prefix, site), { qos: 1 });
        await until(() => delivery.stats()[0]!.depth === 0, 'the spool to empty once a subscriber is there', 15_000);
        expect([...received].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      } finally {
        await delivery.stop();
      }
    }, 40_000);

    it("requireSubscribers off: the broker's acknowledgement is delivery, as before", async () => {
      const { sink, delivery } = await run(false);
      try {
        await until(() => delivery.stats()[0]!.delivered === 20, 'the spool to count everything delivered', 10_000);
        expect(delivery.stats()[0]).toMatchObject({ depth: 0, lastError: null });
        expect(sink.refusedNoSubscribers()).toBe(0);
      } finally {
        await delivery.stop();
      }
    }, 30_000);
  });
});
