import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic } from '../../gateway/sinks/mqtt/topics.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { restartableInfluxDB, restartableMosquitto, type Restartable } from '../e2e/faults-fixture.js';
import { until } from '../support/until.js';

/** Recent enough for the ingest's timestamp check, fixed for the whole file (replays land on the same points). */
const T0 = Date.now() - 3_600_000;
const cal = { status: 'valid' as const, certificate: 'C', due: '2030-01-01', daysToDue: 1000, traceable: true };
const batch = (site: string, seq: number): ReadingBatch => {
  const r: Reading = { site, instrument: 'inst', channel: 'c', quantity: 'q', unit: 'V', ts: T0 + seq, seq, raw: seq, value: seq, quality: 'good', cal };
  return { site, instrument: 'inst', readings: [r] };
};
/** MQTT packet ids run 1..65535: the broker gives the 65535th message after one the same id again. */
const ID_CYCLE = 65535;

/**
 * No PUBACK may leave before its message's points are written. The trap: the broker redelivers an
 * unacknowledged message under its ORIGINAL packet id (MQTT 5 §4.4) while the first copy's write
 * is still under way; once both are written, a stray "release" of that id must not acknowledge
 * the next message that reuses the id a full id cycle later. If it did, killing the ingester
 * while InfluxDB is down would lose that message.
 */
describe('PUBACK order across a redelivery under the same packet id', () => {
  const servers: Restartable[] = [];
  const ingests: Ingest[] = [];
  afterAll(async () => {
    for (const i of ingests) await i.stop();
    for (const s of servers) await s.dispose();
  });

  it('a message that reuses a redelivered id is acknowledged only after it is written', async () => {
    const [broker, influx] = await Promise.all([restartableMosquitto(), restartableInfluxDB()]);
    servers.push(broker, influx);
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const site = 'order-site';
    const clientId = `${prefix}-ingest`;
    const startIngest = async () => {
      const i = new Ingest({
        mqtt: { url: broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
        influx: { url: influx.url, database, measurement: 'reading', batchSize: 5000, flushIntervalMs: 100, writeConcurrency: 2 },
        ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
        log: silentLogger(),
        clientId,
      });
      ingests.push(i);
      await i.start();
      return i;
    };
    const stored = async () => {
      const rows = await influxClient({ url: influx.url, database }).query<{ seq: number }>('SELECT "seq" FROM "reading"');
      return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
    };
    const first = await startIngest();
    const topic = dataTopic(prefix, site, 'gw', 'inst');
    const publish = async (payloads: (string | Buffer)[]) => {
      const p = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
      for (let at = 0; at < payloads.length; at += 2000) await Promise.all(payloads.slice(at, at + 2000).map((m) => p.publishAsync(topic, m, { qos: 1 })));
      await p.endAsync();
    };

    // 1. Message 1 arrives while InfluxDB is down: its write retries, its PUBACK is held.
    await influx.stop();
    await publish([serialiseBatch(batch(site, 1), 'gw')]);
    await until(() => first.stats.messages === 1, 'message 1 to arrive', 30_000);
    // 2. The broker restarts: it sends message 1 again, under the same packet id.
    await broker.stop();
    await broker.start();
    await until(() => first.stats.messages === 2, 'message 1 to be redelivered after the broker restart', 20_000);
    // 3. InfluxDB is back: both copies are written, message 1 is acknowledged.
    await influx.start();
    await until(async () => (await stored()).length === 1, 'message 1 stored', 30_000);
    await until(() => first.stats.writes === 2, 'both copies of message 1 written', 30_000);

    // 4. A full id cycle later the broker hands that id to a new message (messages that are
    // not metrogate data are acknowledged at once, so the cycle is quick); InfluxDB is down again.
    await influx.stop();
    const poison = Array.from({ length: ID_CYCLE - 3 }, () => 'not a reading batch');
    const reusers = [2, 3, 4, 5, 6].map((seq) => serialiseBatch(batch(site, seq), 'gw'));
    await publish([...poison, ...reusers]);
    await until(() => first.stats.messages === 2 + poison.length + reusers.length, 'every message to arrive', 60_000);
    expect(first.stats.rejectedMessages).toBe(poison.length);

    // 5. The ingester goes away before InfluxDB is back; a successor takes over the session.
    // Whatever was acknowledged unwritten is gone; what was not comes back and is stored.
    await first.stop();
    await influx.start();
    await startIngest();
    await until(async () => (await stored()).length === 6, 'messages 1-6 stored by the successor', 20_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; stored seqs: ${JSON.stringify(await stored())}`);
    });
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6]);
  }, 150_000);
});
