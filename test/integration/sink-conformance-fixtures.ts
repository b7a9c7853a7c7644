/**
 * One harness per Sink implementation for test/integration/sink-conformance.test.ts: the real
 * destination (its own Mosquitto, InfluxDB or HTTPS platform, so it can be stopped and started
 * again on the same port), a way to read back what it holds, and a batch it refuses.
 */
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import type { CloudConfig } from '../../gateway/sinks/cloud/cloud-config.js';
import { HttpsUplink } from '../../gateway/sinks/cloud/https-uplink.js';
import { JsonFormat } from '../../gateway/sinks/cloud/json-format.js';
import { MqttUplink } from '../../gateway/sinks/cloud/mqtt-uplink.js';
import { RosterTracker } from '../../gateway/sinks/cloud/roster.js';
import { InfluxSink } from '../../gateway/sinks/influx/influx-sink.js';
import { MqttSink } from '../../gateway/sinks/mqtt/mqtt-sink.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import type { Sink } from '../../gateway/sinks/sink.js';
import { restartableInfluxDB, restartableMosquitto, storedSeqs, type Restartable } from '../e2e/faults-fixture.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { makeCerts, startReceiver, type Receiver, type TestCerts } from './cloud-fixture.js';
import { readTopics, storedEventTimes } from './sink-conformance-readback.js';
import type { WireCalEvent } from '../../gateway/contract/messages.js';

/** A destination the suite can take away and bring back (same port, same data). */
export interface Destination {
  down(): Promise<void>;
  up(): Promise<void>;
  dispose(): Promise<void>;
}

/** One sink (not started) with its own site, database or topic prefix on the shared destination. */
export interface Harness {
  sink: Sink;
  /** The site of this harness's batches (its own topics, points or requests). */
  site: string;
  /** The seqs of the instrument the destination holds, read back from it (subscriber, query, log). */
  stored(instrument: string): Promise<number[]>;
  /** The ts of the calibration events of the instrument the destination holds (event topic, cal_event points, POST /events). */
  storedEvents(instrument: string): Promise<number[]>;
  /** Batches the destination refuses for what they are (too large, field type conflict, HTTP 400), each with why. */
  refusals(): Promise<Refusal[]>;
  close(): Promise<void>;
}

/** A batch the destination refuses, with why (each refusal has an instrument of its own). */
export interface Refusal {
  why: string;
  batch: ReadingBatch;
}

export interface Implementation {
  name: string;
  destination(): Promise<Destination>;
  /** `port`: point the sink at this port of 127.0.0.1 instead (the destination still reads back). */
  harness(port?: number): Promise<Harness>;
}

const cal = Object.freeze({ status: 'valid' as const, certificate: 'CONF-1', due: '2030-01-01', daysToDue: 1000, traceable: true });

const T0 = Date.now();

/** A batch of `n` readings with seqs from..from+n-1, each at t0 + its seq ms (one point per seq in InfluxDB). */
export function batchOf(site: string, instrument: string, from: number, n = 3, t0 = T0): ReadingBatch {
  const readings: Reading[] = Array.from({ length: n }, (_, i) => ({
    site,
    instrument,
    channel: `ch${i}`,
    quantity: 'voltage',
    unit: 'V',
    ts: t0 + from + i,
    seq: from + i,
    raw: from + i,
    value: from + i,
    quality: 'good',
    cal,
  }));
  return { site, instrument, readings };
}

const log = silentLogger();

/**
 * The MQTT brokers' two size limits: `max_packet_size` is stated in CONNACK (the sinks refuse a
 * batch over it before sending); Mosquitto's older `message_size_limit` (payload bytes) is not,
 * and a publish over it is answered with PUBACK reason 149.
 */
const MQTT_SIZE_LIMITS = ['max_packet_size 4096', 'message_size_limit 2048'];

/** A 100-reading batch (~25 KB) is over both; a 12-reading one (~2.6 KB) only over message_size_limit. */
function mqttRefusals(site: string): Promise<Refusal[]> {
  return Promise.resolve([
    { why: "over the broker's stated Maximum Packet Size", batch: batchOf(site, 'too-large', 1, 100) },
    { why: "over Mosquitto's message_size_limit (PUBACK 149)", batch: batchOf(site, 'over-message-limit', 1, 12) },
  ]);
}

/** The edge broker, with both size limits. */
function mqttImplementation(): Implementation {
  let broker: Restartable;
  return {
    name: 'MQTT (edge broker)',
    async destination() {
      broker = await restartableMosquitto({ persistence: false, extraConfig: MQTT_SIZE_LIMITS });
      return asDestination(broker);
    },
    async harness(port) {
      const site = uniqueName('site');
      const prefix = uniqueName('mg');
      const reader = await readTopics(broker.url, `${prefix}/${site}/+/+/+`);
      const sink = new MqttSink({
        site,
        gateway: 'gw',
        instruments: [],
        log,
        mqtt: { url: port ? `mqtt://127.0.0.1:${port}` : broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 64, clientId: uniqueName('conf-mqtt') },
      });
      return {
        sink,
        site,
        stored: (i) => Promise.resolve(reader.seqs(i)),
        storedEvents: (i) => Promise.resolve(reader.events(i)),
        refusals: () => mqttRefusals(site),
        close: () => reader.close(),
      };
    },
  };
}

/** The cloud broker (JSON format), with the same size limits. */
function cloudMqttImplementation(): Implementation {
  let broker: Restartable;
  return {
    name: 'cloud MQTT',
    async destination() {
      broker = await restartableMosquitto({ persistence: false, extraConfig: MQTT_SIZE_LIMITS });
      return asDestination(broker);
    },
    async harness(port) {
      const site = uniqueName('site');
      const prefix = uniqueName('cloud');
      const reader = await readTopics(broker.url, `${prefix}/${site}/+/+/+`);
      const cloud: CloudConfig = {
        enabled: true,
        url: port ? `mqtt://127.0.0.1:${port}` : broker.url,
        format: 'json',
        topicPrefix: prefix,
        inOrder: true,
        maxInFlight: 64,
        batchMaxReadings: 5000,
        timeoutMs: 2000,
      };
      const sink = new MqttUplink({
        cloud,
        clientId: uniqueName('conf-cloud'),
        log,
        roster: roster(site),
        format: new JsonFormat({ prefix, site, gateway: 'gw', instruments: [] }),
      });
      return {
        sink,
        site,
        stored: (i) => Promise.resolve(reader.seqs(i)),
        storedEvents: (i) => Promise.resolve(reader.events(i)),
        refusals: () => mqttRefusals(site),
        close: () => reader.close(),
      };
    },
  };
}

/** InfluxDB written directly; a batch whose `value` field conflicts with the type already stored is refused (400). */
function influxImplementation(): Implementation {
  let influx: Restartable;
  return {
    name: 'InfluxDB direct',
    async destination() {
      influx = await restartableInfluxDB();
      return asDestination(influx);
    },
    async harness(port) {
      const database = uniqueName('conf');
      const site = uniqueName('site');
      const sink = new InfluxSink(
        { url: port ? `http://127.0.0.1:${port}` : influx.url, database, measurement: 'reading', batchSize: 5000, flushIntervalMs: 200, writeConcurrency: 2 },
        { enabled: true, maxInFlight: 64, lingerMs: 0, inOrder: false },
        log,
        'gw',
      );
      return {
        sink,
        site,
        stored: (i) => storedSeqs(influx.url, database, i).catch((err: Error) => (/database not found/.test(err.message) ? [] : Promise.reject(err))),
        storedEvents: (i) =>
          storedEventTimes(influx.url, database, i).catch((err: Error) => (/database not found/.test(err.message) ? [] : Promise.reject(err))),
        async refusals() {
          // In its own shard (a month back), `value` is already a string: numbers there conflict.
          const ts = Date.now() - 30 * 86_400_000;
          const client = influxClient({ url: influx.url, database });
          await client.createDatabase(database);
          await client.writePoints([{ measurement: 'reading', tags: { instrument: 'conflict' }, fields: { value: 'text' }, timestamp: new Date(ts) }], {
            precision: 'ms',
          });
          return [{ why: 'a field type conflict (400)', batch: batchOf(site, 'conflicting', 1, 3, ts) }];
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** The platform over HTTPS: the test receiver, restarted on its port; it answers 400 to one instrument's batches. */
function cloudHttpsImplementation(): Implementation {
  const TOKEN = 'conformance-token-0123456789';
  let certs: TestCerts;
  let receiver: Receiver | null = null;
  let port = 0;
  /** What every incarnation of the receiver accepted. */
  const accepted: WireBatch[] = [];
  const events: WireCalEvent[] = [];
  const up = async (): Promise<void> => {
    if (receiver) return;
    const r = await startReceiver(certs, TOKEN, port);
    port = r.port;
    r.answer = (body) => {
      if (body.batches.some((b) => b.instrument === 'refused')) return 400;
      accepted.push(...body.batches);
      return 200;
    };
    r.answerEvent = (event) => (events.push(event), 200);
    receiver = r;
  };
  return {
    name: 'cloud HTTPS',
    async destination() {
      certs = makeCerts();
      await up();
      return {
        up,
        async down() {
          const r = receiver;
          receiver = null;
          await r?.close();
        },
        async dispose() {
          await receiver?.close();
          receiver = null;
          certs.remove();
        },
      };
    },
    async harness(sinkPort) {
      const site = uniqueName('site');
      const cloud: CloudConfig = {
        enabled: true,
        url: `https://127.0.0.1:${sinkPort ?? port}/platform/v1`,
        token: TOKEN,
        ca: certs.ca,
        format: 'json',
        topicPrefix: 'metrogate',
        inOrder: true,
        maxInFlight: 64,
        batchMaxReadings: 5000,
        timeoutMs: 2000,
      };
      const sink = new HttpsUplink({ cloud, site, gateway: 'gw', roster: roster(site), log });
      const stored = (i: string) => accepted.filter((b) => b.site === site && b.instrument === i).flatMap((b) => b.readings.map((r) => r.seq));
      return {
        sink,
        site,
        stored: (i) => Promise.resolve(stored(i)),
        storedEvents: (i) => Promise.resolve(events.filter((e) => e.site === site && e.instrument === i).map((e) => e.ts)),
        refusals: () => Promise.resolve([{ why: 'HTTP 400', batch: batchOf(site, 'refused', 1) }]),
        close: () => Promise.resolve(),
      };
    },
  };
}

const asDestination = (server: Restartable): Destination => ({ down: () => server.stop(), up: () => server.start(), dispose: () => server.dispose() });

function roster(site: string): RosterTracker {
  return new RosterTracker({ site, gateway: 'gw', instruments: [], calibration: new CalibrationEngine({ site, instruments: [], log }) });
}

export const IMPLEMENTATIONS: Implementation[] = [mqttImplementation(), influxImplementation(), cloudMqttImplementation(), cloudHttpsImplementation()];
