import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic, eventTopic, gatewayStatsTopic } from '../../gateway/sinks/mqtt/topics.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { until } from '../support/until.js';

/**
 * A publisher the broker lets write only under its own gateway's topics (labA/gwA, as the shipped
 * ACL would) sends every attack of issue 16 between the valid messages of two gateways. Afterwards
 * InfluxDB holds exactly the valid points, and every hostile message is counted by reason.
 */
const cal = { status: 'valid' as const, certificate: 'CAL-1', due: '2030-01-01', daysToDue: 1000, traceable: true };

function batch(site: string, instrument: string, quantity: string, unit: string, firstSeq: number, ts: number): ReadingBatch {
  const readings: Reading[] = [0, 1, 2].map((c) => ({
    site,
    instrument,
    channel: `c${c}`,
    quantity,
    unit,
    ts,
    seq: firstSeq + c,
    raw: 20 + c,
    value: 20 + c,
    quality: 'good',
    u: 0.01,
    k: 2,
    cal,
  }));
  readings.push({ site, instrument, channel: 'c3', quantity, unit, ts, seq: firstSeq + 3, raw: null, value: null, quality: 'bad', reason: 'timeout', cal });
  return { site, instrument, readings };
}

describe('a hostile publisher among valid gateways', () => {
  const mqttUrl = inject('mqttUrl');
  const influxUrl = inject('influxUrl');
  let publisher: MqttClient;

  beforeAll(async () => {
    publisher = await connectAsync(mqttUrl, { protocolVersion: 5 });
  });
  afterAll(async () => {
    await publisher.endAsync();
  });

  async function startIngest(batchSize = 5000) {
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const ingest = new Ingest({
      mqtt: { url: mqttUrl, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
      influx: { url: influxUrl, database, measurement: 'reading', batchSize, flushIntervalMs: 100, writeConcurrency: 2 },
      ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 60, maxAgeDays: 400, maxAheadMinutes: 60 },
      log: silentLogger(),
      clientId: uniqueName('ingest'),
    });
    await ingest.start();
    return { ingest, prefix, database };
  }

  it('stores exactly the valid points and counts every attack by reason', async () => {
    const { ingest, prefix, database } = await startIngest();
    const q = (query: string) => influxSeries(influxUrl, database, query);
    try {
      const now = Date.now();
      const tsB = now - 60_000;
      const A = (instrument = 'bath-01') => dataTopic(prefix, 'labA', 'gwA', instrument);
      const B = dataTopic(prefix, 'labB', 'gwB', 'press-01');
      const validA = [0, 1, 2].map((i) => serialiseBatch(batch('labA', 'bath-01', 'temperature', '°C', 1 + 4 * i, now - 30_000 + i), 'gwA'));
      const validB = [0, 1, 2].map((i) => serialiseBatch(batch('labB', 'press-01', 'pressure', 'kPa', 1 + 4 * i, tsB + i), 'gwB'));
      const good = JSON.parse(validA[0]!) as { readings: Record<string, unknown>[] } & Record<string, unknown>;
      const r0 = good.readings[0]!;
      /** A valid labA batch with one reading (or the batch itself) changed. */
      const hostile = (reading: Record<string, unknown>, top: Record<string, unknown> = {}): string =>
        JSON.stringify({ ...good, ...top, readings: [{ ...r0, ...reading }] });
      // The line that would overwrite labB's first reading, if it got through.
      const forged = `reading,cal_status=valid,channel=c0,instrument=press-01,quality=good,quantity=pressure,site=labB,unit=kPa seq=1i,traceable=true,value=123.456 ${tsB}`;
      const event = {
        v: 1,
        site: 'labA',
        gateway: 'gwA',
        instrument: 'bath-01',
        kind: 'transition',
        ts: now - 1000,
        from: 'valid',
        to: 'due_soon',
        certificate: 'CAL-1',
        due: '2030-01-01',
        reason: 'calendar',
      };
      const suspect = {
        ...event,
        kind: 'suspect',
        from: null,
        to: 'out_of_tolerance',
        suspectFrom: now - 86_400_000,
        suspectTo: now - 1000,
        asFoundError: 0.5,
        mpe: 0.2,
      };
      const stats = {
        v: 1,
        site: 'labA',
        gateway: 'gwA',
        ts: now - 1000,
        polled: 12,
        published: 12,
        errors: 0,
        timeouts: 0,
        skippedCycles: 0,
        rssMB: 90.5,
        cpuShare: 0.05,
      };
      const EVENT = eventTopic(prefix, 'labA', 'gwA', 'bath-01');
      const STATS = gatewayStatsTopic(prefix, 'labA', 'gwA');

      const attacks: [string, string, string][] = [
        // Injection through fields rendered raw.
        [A(), hostile({ cal: { ...cal, daysToDue: `1i 1796000000000\n${forged}` } }), 'schema'],
        [A(), hostile({ cal: { ...cal, traceable: `true\n${forged}` } }), 'schema'],
        [A(), hostile({ u: `0\n${forged}` }), 'schema'],
        [EVENT, JSON.stringify({ ...suspect, asFoundError: `1\n${forged}` }), 'schema'],
        [EVENT, JSON.stringify({ ...suspect, mpe: `1\n${forged}` }), 'schema'],
        [EVENT, JSON.stringify({ ...suspect, suspectFrom: `0i\n${forged}` }), 'schema'],
        [STATS, JSON.stringify({ ...stats, polled: `1i\n${forged}` }), 'schema'],
        [STATS, JSON.stringify({ ...stats, rssMB: `1\n${forged}` }), 'schema'],
        // Tags line protocol cannot carry, and empty ones.
        [A(), hostile({ unit: `kPa\n${forged}` }), 'schema'],
        [A(), hostile({ quantity: 'temperature\r' }), 'schema'],
        [A(), hostile({ channel: 'c0\u0000' }), 'schema'],
        [A(), hostile({ unit: 'kPa\\' }), 'schema'],
        [A(), hostile({ channel: '' }), 'schema'],
        [A(), hostile({}, { instrument: '' }), 'schema'],
        // A reason that would render an unbalanced quote and swallow the request.
        [A(), hostile({ quality: 'bad', raw: null, value: null, reason: ['x"', 'y'] }), 'schema'],
        // Re-stamped points: 1970, and a wrong-type point a week ahead (field type poisoning).
        [A(), hostile({ ts: 1000 }), 'timestamp'],
        [A(), hostile({ ts: now + 7 * 86_400_000, cal: { ...cal, traceable: 1 } }), 'schema'],
        [A(), hostile({ ts: now + 7 * 86_400_000 }), 'timestamp'],
        [EVENT, JSON.stringify({ ...event, ts: 0 }), 'timestamp'],
        [STATS, JSON.stringify({ ...stats, ts: now + 30 * 86_400_000 }), 'timestamp'],
        // Its own topic, another site's identity in the payload.
        [A(), hostile({}, { site: 'labB', gateway: 'gwB', instrument: 'press-01' }), 'topic_identity'],
        [A(), hostile({}, { site: 'labB' }), 'topic_identity'],
        [A('press-01'), hostile({}), 'topic_identity'],
        [EVENT, JSON.stringify({ ...event, site: 'labB' }), 'topic_identity'],
        [STATS, JSON.stringify({ ...stats, gateway: 'gwB' }), 'topic_identity'],
        // Over-long strings, garbage, and a huge message.
        [A(), hostile({ cal: { ...cal, certificate: 'C'.repeat(5000) } }), 'schema'],
        [A(), hostile({ quality: 'bad', raw: null, value: null, reason: 'r'.repeat(100_000) }), 'schema'],
        [A(), hostile({}, { instrument: 'i'.repeat(200) }), 'schema'],
        [A(), '{"v":1,"site":"labA"', 'not_json'],
        [A(), '\u0000\u0001 not json at all', 'not_json'],
        [A(), JSON.stringify({ ...good, readings: Array.from({ length: 30_000 }, () => r0) }), 'too_large'],
      ];

      // Valid messages of both gateways interleaved with the attacks; one publisher, in order.
      const valid: [string, string][] = [
        ...validA.map((p): [string, string] => [A(), p]),
        ...validB.map((p): [string, string] => [B, p]),
        [EVENT, JSON.stringify(event)],
        [eventTopic(prefix, 'labB', 'gwB', 'press-01'), JSON.stringify({ ...event, site: 'labB', gateway: 'gwB', instrument: 'press-01' })],
        [STATS, JSON.stringify(stats)],
        [gatewayStatsTopic(prefix, 'labB', 'gwB'), JSON.stringify({ ...stats, site: 'labB', gateway: 'gwB' })],
      ];
      const sequence: [string, string][] = [];
      for (let i = 0; i < Math.max(valid.length, attacks.length); i++) {
        if (valid[i]) sequence.push(valid[i]!);
        if (attacks[i]) sequence.push([attacks[i]![0], attacks[i]![1]]);
      }
      for (const [topic, payload] of sequence) await publisher.publishAsync(topic, payload, { qos: 1 });

      const validReadings = 6 * 4;
      const expectedPoints = validReadings + 4;
      await until(() => ingest.stats.messages === sequence.length, `all ${sequence.length} messages to arrive`, 15_000);
      await until(() => ingest.stats.points === expectedPoints, `${expectedPoints} points stored`, 15_000);

      // Every attack counted, by reason; nothing InfluxDB had to refuse.
      const byReason: Record<string, number> = {};
      for (const [, , reason] of attacks) byReason[reason] = (byReason[reason] ?? 0) + 1;
      expect(ingest.stats.rejectedMessages).toBe(attacks.length);
      expect(Object.fromEntries(Object.entries(ingest.stats.rejectedByReason).filter(([, n]) => n > 0))).toEqual(byReason);
      expect(ingest.stats.rejectedPoints).toBe(0);

      // Exactly the measurements, tags and fields the valid messages make.
      const column = async (query: string, col = 0) => (await q(query)).flatMap((s) => s.values.map((v) => String(v[col]))).sort();
      expect(await column('SHOW MEASUREMENTS')).toEqual(['cal_event', 'gateway_stats', 'reading']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "site"', 1)).toEqual(['labA', 'labB']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "instrument"', 1)).toEqual(['bath-01', 'press-01']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "channel"', 1)).toEqual(['c0', 'c1', 'c2', 'c3']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "unit"', 1)).toEqual(['kPa', '°C']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "quantity"', 1)).toEqual(['pressure', 'temperature']);
      // The gateway tag (with the epoch, which these messages do not carry) keys a stream for gap repair.
      expect(await column('SHOW TAG KEYS FROM "reading"')).toEqual(['cal_status', 'channel', 'gateway', 'instrument', 'quality', 'quantity', 'site', 'unit']);
      expect(await column('SHOW TAG VALUES FROM "reading" WITH KEY = "gateway"', 1)).toEqual(['gwA', 'gwB']);
      expect(await column('SHOW TAG VALUES FROM "cal_event" WITH KEY = "site"', 1)).toEqual(['labA', 'labB']);
      expect(await column('SHOW TAG VALUES FROM "gateway_stats" WITH KEY = "gateway"', 1)).toEqual(['gwA', 'gwB']);
      const fields = async (m: string) => (await q(`SHOW FIELD KEYS FROM "${m}"`)).flatMap((s) => s.values.map((v) => `${v[0]}:${v[1]}`)).sort();
      expect(await fields('reading')).toEqual([
        'certificate:string',
        'days_to_due:integer',
        'k:float',
        'raw:float',
        'reason:string',
        'seq:integer',
        'traceable:boolean',
        'u:float',
        'value:float',
      ]);
      expect(await fields('cal_event')).toEqual(['certificate:string', 'due:string', 'reason:string', 'text:string']);
      expect(await fields('gateway_stats')).toEqual([
        'cpu_share:float',
        'errors:integer',
        'polled:integer',
        'published:integer',
        'rss_mb:float',
        'skipped_cycles:integer',
        'timeouts:integer',
      ]);

      // Every valid reading stored, as sent: labB's first reading still holds its own value.
      const rows = rowsOf(await q('SELECT "value", "seq", "traceable" FROM "reading" GROUP BY "site", "instrument", "channel"'));
      expect(rows).toHaveLength(validReadings);
      expect(rows.filter((r) => r.site === 'labB' && r.channel === 'c0' && r.time === tsB)).toEqual([
        expect.objectContaining({ value: 20, seq: 1, traceable: true }),
      ]);
      expect(rows.every((r) => r.time !== 1000 && (r.time as number) <= now)).toBe(true);
    } finally {
      await ingest.stop();
    }
  }, 60_000);

  it('a line InfluxDB refuses (field type conflict) costs only itself: the rest of its request is stored', async () => {
    const { ingest, prefix, database } = await startIngest();
    try {
      const ts = Date.now() - 10_000;
      // Another writer made `text` a float in this shard: a string value from a gateway now conflicts.
      await influxClient({ url: influxUrl, database }).createDatabase(database);
      await new InfluxWriter({ url: influxUrl, database }).write([`reading,site=other text=1 ${ts}000000`]);
      const batches = [0, 1, 2, 3].map((i) => batch('labA', `inst-${i}`, 'temperature', '°C', 1, ts + i));
      batches[2]!.readings[0] = { ...batches[2]!.readings[0]!, raw: 'OPEN', value: 'OPEN' };
      // Published at once, so they reach InfluxDB in one request (the ingest acknowledges only after writing).
      await Promise.all(batches.map((b) => publisher.publishAsync(dataTopic(prefix, 'labA', 'gwA', b.instrument), serialiseBatch(b, 'gwA'), { qos: 1 })));
      await until(() => ingest.stats.points + ingest.stats.rejectedPoints === 16, 'all 16 readings written or refused', 15_000);
      expect(ingest.stats).toMatchObject({ points: 15, rejectedPoints: 1, rejectedMessages: 0 });
      const rows = rowsOf(await influxSeries(influxUrl, database, `SELECT count("seq") AS "n" FROM "reading" WHERE "site" = 'labA' GROUP BY "instrument"`));
      expect(Object.fromEntries(rows.map((r) => [r.instrument, r.n]))).toEqual({ 'inst-0': 4, 'inst-1': 4, 'inst-2': 3, 'inst-3': 4 });
    } finally {
      await ingest.stop();
    }
  }, 30_000);
});
