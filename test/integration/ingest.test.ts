import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { silentLogger } from '../../gateway/log.js';
import type { ReadingBatch, Reading } from '../../gateway/reading.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic } from '../../gateway/sinks/mqtt/topics.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startCli, untilOutput } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until } from '../support/until.js';

const cal = { status: 'valid' as const, certificate: 'C', due: '2030-01-01', daysToDue: 1000, traceable: true };

function batch(site: string, instrument: string, firstSeq: number, n: number, ts0: number): ReadingBatch {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) {
    readings.push({ site, instrument, channel: `c${i}`, quantity: 'q', unit: 'V', ts: ts0, seq: firstSeq + i, raw: i, value: i, quality: 'good', cal });
  }
  return { site, instrument, readings };
}

async function count(url: string, database: string): Promise<number> {
  const rows = await influxClient({ url, database }).query<{ n: number }>('SELECT count("seq") AS "n" FROM "reading"');
  return Number(rows[0]?.n ?? 0);
}

describe('ingest role (MQTT → InfluxDB)', () => {
  const mqttUrl = inject('mqttUrl');
  const influxUrl = inject('influxUrl');
  let publisher: MqttClient;
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-ingest-'));

  beforeAll(async () => {
    publisher = await connectAsync(mqttUrl, { protocolVersion: 5 });
  });
  /** An ingester on its own topic prefix and database, so the tests never meet. */
  async function startIngest(batchSize: number) {
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const ingest = new Ingest({
      mqtt: { url: mqttUrl, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
      influx: { url: influxUrl, database, measurement: 'reading', batchSize, flushIntervalMs: 100, writeConcurrency: 2 },
      ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
      log: silentLogger(),
      clientId: uniqueName('ingest'),
    });
    await ingest.start();
    return { ingest, prefix, database };
  }

  afterAll(async () => {
    await publisher.endAsync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges and skips a message that is not a reading batch, and goes on with the next', async () => {
    const { ingest, prefix, database } = await startIngest(5000);
    try {
      await publisher.publishAsync(`${prefix}/lab/g/x/data`, 'not json', { qos: 1 });
      await publisher.publishAsync(`${prefix}/lab/g/x/data`, JSON.stringify({ v: 9 }), { qos: 1 });
      await publisher.publishAsync(dataTopic(prefix, 'lab', 'g', 'x'), serialiseBatch(batch('lab', 'x', 1, 3, Date.now()), 'g'), { qos: 1 });
      await untilStoredReadings({ url: influxUrl, database }, 3, { exact: true });
      expect(ingest.stats).toMatchObject({ messages: 3, rejectedMessages: 2, points: 3 });
    } finally {
      await ingest.stop();
    }
  });

  it('writes more than batchSize points as several requests and acknowledges only when all are stored', async () => {
    const { ingest, prefix, database } = await startIngest(7);
    try {
      await publisher.publishAsync(dataTopic(prefix, 'lab', 'g', 'x'), serialiseBatch(batch('lab', 'x', 1, 50, Date.now()), 'g'), { qos: 1 });
      await untilStoredReadings({ url: influxUrl, database }, 50, { exact: true });
      // 50 points at most 7 per request: at least 8 requests.
      expect(ingest.stats.writes).toBeGreaterThanOrEqual(8);
      expect(ingest.stats.points).toBe(50);
    } finally {
      await ingest.stop();
    }
  });

  it('stores a replayed batch once: same series and timestamps are the same points', async () => {
    const { ingest, prefix, database } = await startIngest(5000);
    try {
      const payload = serialiseBatch(batch('lab', 'x', 1, 50, 1_790_000_000_000), 'g');
      await publisher.publishAsync(dataTopic(prefix, 'lab', 'g', 'x'), payload, { qos: 1 });
      await until(async () => ingest.stats.points === 50, 'first copy written');
      await publisher.publishAsync(dataTopic(prefix, 'lab', 'g', 'x'), payload, { qos: 1 });
      await until(async () => ingest.stats.points === 100, 'replay written');
      expect(await count(influxUrl, database)).toBe(50);
    } finally {
      await ingest.stop();
    }
  });

  it('a killed ingester loses nothing: what it had not written is redelivered to its successor', async () => {
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const site = uniqueName('site');
    const deadInflux = `http://127.0.0.1:${await freePort()}`;
    const configFor = (influx: string) => {
      const file = join(dir, `${uniqueName('ingest')}.yaml`);
      writeFileSync(
        file,
        stringify({
          site,
          gateway: { id: 'ingest-a', logLevel: 'info' },
          api: { enabled: false },
          spool: { dir: join(dir, uniqueName('spool')) },
          mqtt: { url: mqttUrl, topicPrefix: prefix },
          influx: { url: influx, database, flushIntervalMs: 100 },
          ingest: { enabled: true, sites: [site] },
          instruments: [],
        }),
      );
      return file;
    };
    // Create the database first: the first ingester cannot reach any InfluxDB.
    await influxClient({ url: influxUrl, database }).createDatabase(database);

    const first = startCli(['run', '--config', configFor(deadInflux)]);
    // It cannot reach its InfluxDB, so it can neither write nor acknowledge.
    await untilOutput(first, 'ingest subscribed');
    const ts0 = Date.now();
    for (let i = 0; i < 5; i++) {
      await publisher.publishAsync(dataTopic(prefix, site, 'ingest-a', 'x'), serialiseBatch(batch(site, 'x', 1 + i * 10, 10, ts0 + i), 'ingest-a'), { qos: 1 });
    }
    // It holds what it received: its write failed, so none of it is acknowledged.
    await untilOutput(first, 'InfluxDB write failed; retrying');
    first.child.kill('SIGKILL');
    const ended = await first.done;
    expect(ended.signal).toBe('SIGKILL');
    expect(await count(influxUrl, database)).toBe(0);

    const second = startCli(['run', '--config', configFor(influxUrl)]);
    try {
      await untilStoredReadings({ url: influxUrl, database }, 50, { exact: true, timeoutMs: 15_000 });
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  });
});
