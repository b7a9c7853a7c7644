/**
 * A broker that limits messages with Mosquitto's `message_size_limit` (deprecated, still common in
 * deployed configs) does not announce it: it answers an oversized QoS 1 PUBLISH with PUBACK reason
 * 149 (Packet too large). Each MQTT sink must settle that publish as a refused batch at once; a
 * publish that hung would hold the spool's cursor and nothing after it would be delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/log.js';
import type { ReadingBatch } from '../../gateway/reading.js';
import { JsonFormat } from '../../gateway/sinks/cloud/json-format.js';
import { MqttUplink } from '../../gateway/sinks/cloud/mqtt-uplink.js';
import { RosterTracker } from '../../gateway/sinks/cloud/roster.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { MqttSink } from '../../gateway/sinks/mqtt/mqtt-sink.js';
import { RejectedBatchError } from '../../gateway/sinks/sink-errors.js';
import type { Sink } from '../../gateway/sinks/sink.js';
import { SpoolDelivery } from '../../gateway/spool/spool-delivery.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until, waitFor } from '../support/until.js';
import { batchOf } from './sink-conformance-fixtures.js';

/** Payload bytes the broker takes: a 3-reading batch (under 1 KB) passes, a 100-reading one (~25 KB) does not. */
const LIMIT = 4096;
/** The Sink contract's bound for a write the destination answered. */
const SETTLE_MS = 5000;
const log = silentLogger();

/** 'pending' when the write neither resolved nor rejected within `ms`: the hang this file is about. */
async function outcomeOf(write: Promise<void>, ms = SETTLE_MS): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise((r) => (timer = setTimeout(() => r('pending'), ms)));
  try {
    return await Promise.race([
      write.then(
        () => 'resolved',
        (err: unknown) => err,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function edgeSink(url: string, site: string, prefix: string): Sink {
  return new MqttSink({
    site,
    gateway: 'gw',
    instruments: [],
    log,
    mqtt: { url, topicPrefix: prefix, qos: 1, maxInFlight: 16, clientId: uniqueName('msl-edge') },
  });
}

function cloudSink(url: string, site: string, prefix: string): Sink {
  const calibration = new CalibrationEngine({ site, instruments: [], log });
  return new MqttUplink({
    cloud: { enabled: true, url, format: 'json', topicPrefix: prefix, inOrder: true, maxInFlight: 16, batchMaxReadings: 5000, timeoutMs: 2000 },
    clientId: uniqueName('msl-cloud'),
    log,
    roster: new RosterTracker({ site, gateway: 'gw', instruments: [], calibration }),
    format: new JsonFormat({ prefix, site, gateway: 'gw', instruments: [] }),
  });
}

const SINKS = [
  { name: 'edge MQTT', make: edgeSink },
  { name: 'cloud MQTT', make: cloudSink },
];

/** Mosquitto (2.0) with `message_size_limit` and otherwise its defaults, as a deployment would set it. */
const limitedBroker = (extra: string[] = []) => startMosquitto({ extraConfig: [`message_size_limit ${LIMIT}`, ...extra] });

/** The seqs a subscriber received on the data topics under `prefix` for the instrument. */
function receivedSeqs(seen: Map<string, unknown[]>, prefix: string, instrument: string): number[] {
  return [...seen.entries()]
    .filter(([topic]) => topic.startsWith(`${prefix}/`) && topic.endsWith(`/${instrument}/data`))
    .flatMap(([, messages]) => messages.flatMap((m) => (m as ReadingBatch).readings.map((r) => r.seq)))
    .sort((a, b) => a - b);
}

describe(`a broker with message_size_limit ${LIMIT} (PUBACK reason 149 to a larger message)`, () => {
  let broker: PrivateService;
  let watcher: MqttClient;
  const seen = new Map<string, unknown[]>();
  beforeAll(async () => {
    broker = await limitedBroker();
    watcher = await recordTopics(broker.url, '#', seen);
  }, 30_000);
  afterAll(async () => {
    await watcher?.endAsync(true);
    await broker?.stop();
  });

  for (const { name, make } of SINKS) {
    it(`${name}: the oversized batch is refused within ${SETTLE_MS} ms, and the batches sent with it and after it are delivered`, async () => {
      const site = uniqueName('site');
      const prefix = uniqueName('msl');
      const sink = make(broker.url, site, prefix);
      await sink.start();
      try {
        const before = sink.write(batchOf(site, 'inst', 1));
        const oversized = sink.write(batchOf(site, 'inst', 4, 100));
        const alongside = sink.write(batchOf(site, 'inst', 104));
        const refusal = await outcomeOf(oversized);
        expect(refusal, 'the oversized write (still pending: the publish hangs)').toBeInstanceOf(RejectedBatchError);
        expect(String(refusal)).toMatch(/reason 149, Packet too large/);
        expect(await outcomeOf(before), 'the batch sent before it').toBe('resolved');
        expect(await outcomeOf(alongside), 'the batch sent in flight with it').toBe('resolved');
        expect(await outcomeOf(sink.write(batchOf(site, 'inst', 107))), 'the batch sent after it').toBe('resolved');
        expect(sink.connected(), 'the refusal does not cost the connection').toBe(true);
        await until(() => receivedSeqs(seen, prefix, 'inst').length >= 9, 'the three small batches at the subscriber', {
          timeoutMs: 5000,
          observe: () => receivedSeqs(seen, prefix, 'inst'),
        });
        expect(receivedSeqs(seen, prefix, 'inst')).toEqual([1, 2, 3, 104, 105, 106, 107, 108, 109]);
      } finally {
        await sink.stop();
      }
    }, 30_000);
  }
});

/**
 * Through the spool, as the gateway runs. Also with `max_queued_messages 0` (unlimited, as the
 * fault tests' broker has it), where Mosquitto 2.0 closes the connection right after its PUBACK
 * 149 ("Bad socket read/write"): the publishes in flight with the refused one fail and are sent
 * again after the reconnect, so the count must come out the same.
 */
describe.each([
  { broker: 'defaults', extra: [] },
  { broker: 'max_queued_messages 0', extra: ['max_queued_messages 0'] },
])(`the spool in front of both MQTT sinks, message_size_limit ${LIMIT} and $broker`, ({ extra }) => {
  it('drops and counts the refused batch for each sink and delivers everything after it, in order', async () => {
    const broker = await limitedBroker(extra);
    const seen = new Map<string, unknown[]>();
    const watcher = await recordTopics(broker.url, '#', seen);
    const site = uniqueName('site');
    const prefix = uniqueName('msl');
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-msl-'));
    const dropped: string[] = [];
    const delivery = new SpoolDelivery({
      config: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 1000 },
      site,
      targets: [
        { sink: edgeSink(broker.url, site, `${prefix}e`), maxInFlight: 16, inOrder: false },
        { sink: cloudSink(broker.url, site, `${prefix}c`), maxInFlight: 16, inOrder: true },
      ],
      log,
      hooks: { delivered: () => undefined, dropped: (sink, instrument, n) => dropped.push(`${sink}:${instrument}:${n}`) },
    });
    delivery.open();
    try {
      await delivery.start();
      delivery.accept(batchOf(site, 'inst', 1));
      delivery.accept(batchOf(site, 'inst', 4, 100));
      for (let seq = 104; seq < 134; seq += 3) delivery.accept(batchOf(site, 'inst', seq));
      const settled = () => delivery.stats().map((s) => ({ sink: s.sink, depth: s.depth, delivered: s.delivered, rejected: s.rejected }));
      const all = await waitFor('both sinks to settle all 133 readings', settled, (stats) => stats.every((s) => s.delivered + s.rejected === 133), 15_000);
      expect(all).toEqual([
        { sink: 'mqtt', depth: 0, delivered: 33, rejected: 100 },
        { sink: 'cloud', depth: 0, delivered: 33, rejected: 100 },
      ]);
      expect(dropped.sort()).toEqual(['cloud:inst:100', 'mqtt:inst:100']);
      const expected = [1, 2, 3, ...Array.from({ length: 30 }, (_, i) => 104 + i)];
      const both = () => [receivedSeqs(seen, `${prefix}e`, 'inst'), receivedSeqs(seen, `${prefix}c`, 'inst')];
      await until(() => both().every((seqs) => seqs.length >= 33), 'every small batch of both sinks at the subscriber', { timeoutMs: 5000, observe: both });
      // A publish in flight when the broker dropped the connection may have reached it before: at least once.
      expect(both().map((seqs) => [...new Set(seqs)])).toEqual([expected, expected]);
    } finally {
      await delivery.stop();
      await watcher.endAsync(true);
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
