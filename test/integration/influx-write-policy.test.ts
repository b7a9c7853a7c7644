/**
 * The one InfluxDB write policy (gateway/influx/write-policy.ts) as both writers meet it: a 413
 * halves the requests down to what the server takes, a 429's Retry-After is honoured. InfluxDB
 * cannot be made to answer 413 or 429 on demand, so a small real HTTP server plays it here,
 * speaking InfluxDB 1.x's /query (CREATE DATABASE) and /write; the ingest runs against the
 * suite's real Mosquitto.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectAsync } from 'mqtt';
import { describe, expect, inject, it } from 'vitest';
import type { InfluxConfig } from '../../config/schema.js';
import { Ingest } from '../../gateway/ingest/ingest.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { InfluxSink } from '../../gateway/sinks/influx/influx-sink.js';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataTopic } from '../../gateway/sinks/mqtt/topics.js';
import { RetryLaterError } from '../../gateway/sinks/sink-errors.js';
import { until } from '../support/until.js';
import { uniqueName } from '../support/e2e-fixture.js';

interface WriteRequest {
  at: number;
  lines: string[];
  status: number;
}

/** What the server answers a /write of these lines, the n-th (from 0). */
type Answer = (lines: string[], n: number) => { status: number; retryAfter?: string };

interface StandInInflux {
  url: string;
  writes: WriteRequest[];
  /** Lines of the writes answered 204. */
  stored(): string[];
  close(): Promise<void>;
}

async function standInInflux(answer: Answer): Promise<StandInInflux> {
  const writes: WriteRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/query') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
      if (path !== '/write') return res.writeHead(404).end();
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      const { status, retryAfter } = answer(lines, writes.length);
      writes.push({ at: Date.now(), lines, status });
      res.writeHead(status, retryAfter === undefined ? {} : { 'retry-after': retryAfter }).end(status === 204 ? undefined : `{"error":"answer ${status}"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    stored: () => writes.filter((w) => w.status === 204).flatMap((w) => w.lines),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** At most `max` lines per request (413 beyond); the first `busy` requests get 429 with Retry-After: 1. */
function limits(max: number, busy = 0): Answer {
  return (lines, n) => (n < busy ? { status: 429, retryAfter: '1' } : lines.length > max ? { status: 413 } : { status: 204 });
}

const cal = { status: 'valid' as const, certificate: 'C', due: '2030-01-01', daysToDue: 1000, traceable: true };

function batch(n: number, ts: number): ReadingBatch {
  const readings: Reading[] = Array.from({ length: n }, (_, i) => ({
    site: 'lab',
    instrument: 'bath',
    channel: `c${i}`,
    quantity: 'q',
    unit: 'V',
    ts,
    seq: i + 1,
    raw: i,
    value: i,
    quality: 'good',
    cal,
  }));
  return { site: 'lab', instrument: 'bath', readings };
}

const influxAt = (url: string): InfluxConfig => ({
  url,
  database: 'policy',
  measurement: 'reading',
  batchSize: 5000,
  flushIntervalMs: 100,
  writeConcurrency: 1,
});
const channelsOf = (lines: string[]): string[] => lines.map((l) => /,channel=(c\d+),/.exec(l)![1]!).sort();
const allChannels = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i}`).sort();

describe('one InfluxDB write policy: 413 split, 429 Retry-After', () => {
  it('the ingest: a 429 waits its Retry-After, a 413 halves the request, every line is stored', async () => {
    const influx = await standInInflux(limits(4, 1));
    const mqttUrl = inject('mqttUrl');
    const prefix = uniqueName('mg');
    const ingest = new Ingest({
      mqtt: { url: mqttUrl, topicPrefix: prefix, qos: 1, maxInFlight: 10 },
      influx: influxAt(influx.url),
      ingest: { enabled: true, sites: ['+'], sessionExpirySeconds: 60, maxAgeDays: 400, maxAheadMinutes: 60 },
      log: silentLogger(),
      clientId: uniqueName('ingest'),
    });
    const publisher = await connectAsync(mqttUrl, { protocolVersion: 5 });
    try {
      await ingest.start();
      await publisher.publishAsync(dataTopic(prefix, 'lab', 'gw', 'bath'), serialiseBatch(batch(20, Date.now()), 'gw'), { qos: 1 });
      await until(() => ingest.stats.points === 20, 'the ingest to store the 20 readings', 15_000);
      expect(channelsOf(influx.stored())).toEqual(allChannels(20));
      const [busy, next] = influx.writes;
      expect(busy!.status).toBe(429);
      expect(next!.at - busy!.at, 'pause after a 429 with Retry-After: 1').toBeGreaterThanOrEqual(950);
      expect(influx.writes.some((w) => w.status === 413)).toBe(true);
      for (const w of influx.writes.filter((x) => x.status === 204)) expect(w.lines.length).toBeLessThanOrEqual(4);
      expect(ingest.stats).toMatchObject({ points: 20, writeErrors: 1, rejectedPoints: 0 });
    } finally {
      await publisher.endAsync();
      await ingest.stop();
      await influx.close();
    }
  });

  it('the direct sink: a 413 halves the request and the batch resolves once all is stored; a 429 hands the spool its Retry-After', async () => {
    const influx = await standInInflux(limits(4));
    const sink = new InfluxSink(influxAt(influx.url), { enabled: true, maxInFlight: 8, lingerMs: 0, inOrder: true }, silentLogger());
    try {
      await sink.start();
      await sink.write(batch(20, Date.now()));
      expect(channelsOf(influx.stored())).toEqual(allChannels(20));
      expect(influx.writes[0]).toMatchObject({ status: 413 });
      expect(influx.writes[0]!.lines).toHaveLength(20);
      for (const w of influx.writes.filter((x) => x.status === 204)) expect(w.lines.length).toBeLessThanOrEqual(4);
    } finally {
      await sink.stop();
      await influx.close();
    }

    const busy = await standInInflux(limits(100, Number.MAX_SAFE_INTEGER));
    const again = new InfluxSink(influxAt(busy.url), { enabled: true, maxInFlight: 8, lingerMs: 0, inOrder: true }, silentLogger());
    try {
      await again.start();
      const refused = await again.write(batch(3, Date.now())).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(RetryLaterError);
      expect((refused as RetryLaterError).retryAfterMs).toBe(1000);
      // The sink does not retry on its own: the spool does, after that pause.
      expect(busy.writes.map((w) => w.status)).toEqual([429]);
    } finally {
      await again.stop();
      await busy.close();
    }
  });

  it('a line too large even alone costs only itself: the direct sink stores the rest of its batch and resolves', async () => {
    const influx = await standInInflux((lines) => (lines.some((l) => l.includes(',channel=c1,')) ? { status: 413 } : { status: 204 }));
    const sink = new InfluxSink(influxAt(influx.url), { enabled: true, maxInFlight: 8, lingerMs: 0, inOrder: true }, silentLogger());
    try {
      await sink.start();
      await sink.write(batch(3, Date.now()));
      expect(channelsOf(influx.stored())).toEqual(['c0', 'c2']);
      expect(influx.writes.filter((w) => w.status === 413).at(-1)!.lines).toHaveLength(1);
    } finally {
      await sink.stop();
      await influx.close();
    }
  });
});
