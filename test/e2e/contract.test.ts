/**
 * The platform contract (gateway/schemas/README.md), checked from both sides: every message a
 * running gateway emits, on the edge broker and over the HTTPS cloud uplink, validates against
 * the committed schemas; and a platform-side consumer written only from that contract ingests
 * them, drops the duplicates at-least-once delivery brings (answers lost on purpose), keeps every
 * reading across a replaced spool, and resolves every certificate reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { VERSION } from '../../gateway/version.js';
import { makeCerts, startReceiver, type Receiver, type TestCerts } from '../integration/cloud-fixture.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { contractValidators, PlatformConsumer } from '../support/platform-consumer.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

const TOKEN = 'contract-token-0123456789';
const SCHEMA_BY_TOPIC: [RegExp, string][] = [
  [/\/data$/, 'reading-batch.v1.json'],
  [/\/status$/, 'instrument-status.v1.json'],
  [/\/event$/, 'cal-event.v1.json'],
  [/\/state$/, 'gateway-state.v1.json'],
  [/\/stats$/, 'gateway-stats.v1.json'],
  [/\/seqs$/, 'gateway-seqs.v1.json'],
  [/\/control\/resend$/, 'resend-request.v1.json'],
  [/\/control\/resent$/, 'resend-result.v1.json'],
];

describe('the platform contract, from the gateway and from a platform', () => {
  let certs: TestCerts;
  let receiver: Receiver;
  let config: MetrogateConfig;
  let sim: Simulator;
  let recorder: MqttClient;
  const messages = new Map<string, unknown[]>();
  const consumer = new PlatformConsumer();
  const dirs: string[] = [];
  const polled = new Map<string, number>();

  /** One gateway run on a spool of its own until `work` is done; returns what each instrument polled. */
  async function run(work: (g: ReturnType<typeof buildGateway>) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-contract-spool-'));
    dirs.push(dir);
    const gateway = buildGateway({ ...config, spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 15_000 } }, silentLogger(), {
      drivers: true,
      ingest: false,
    });
    await gateway.start();
    try {
      await work(gateway);
      await gateway.stopPolling();
      for (const inst of config.instruments) polled.set(inst.id, (polled.get(inst.id) ?? 0) + gateway.pipeline.counters.get(inst.id)!.polled);
    } finally {
      await gateway.stop();
    }
  }

  beforeAll(async () => {
    certs = makeCerts();
    receiver = await startReceiver(certs, TOKEN);
    // The platform stores what it receives, and for the first requests the answer is lost
    // (503): the gateway sends them again, as after a dropped connection.
    let answered = 0;
    receiver.answer = (body) => {
      consumer.ingestCloudBatch(body);
      return ++answered <= 3 ? 503 : 200;
    };
    const lab = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    sim = lab.sim;
    config = {
      ...lab.config,
      instruments: lab.config.instruments.map((i) => (i.id !== 'bath-01' ? i : { ...i, calibration: { ...i.calibration!, laboratory: 'NIM' } })),
      cloud: {
        enabled: true,
        url: receiver.url,
        token: TOKEN,
        ca: certs.ca,
        format: 'json',
        topicPrefix: 'metrogate',
        inOrder: true,
        maxInFlight: 64,
        batchMaxReadings: 50,
        timeoutMs: 5000,
      },
    };
    recorder = await recordTopics(inject('mqttUrl'), `${config.mqtt!.topicPrefix}/#`, messages);
  });

  afterAll(async () => {
    await recorder?.endAsync();
    await receiver?.close();
    await sim?.stop();
    certs?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every message validates; the platform stores each reading once and resolves every certificate it references', async () => {
    await run(async (gateway) => {
      await until(() => receiver.requests.filter((r) => r.status === 200).length >= 2, 'readings taken after the lost answers', 15_000);
      // A channel-scoped certificate from another laboratory, and a quarantine: new references and an event.
      await gateway.calibration.addRecord({
        certificate: 'CH-2026-7',
        instrument: 'bath-01',
        channel: 'temperature',
        laboratory: 'SIMT',
        kind: 'calibration',
        calibrated: localDate(-1),
        due: localDate(300),
        unit: '°C',
        traceability: [],
        source: 'api',
        errorTable: [{ reference: 25, indication: 25.01, error: 0.01, U: 0.02, k: 2 }],
      });
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'quarantined', reason: 'contract test' });
      await until(() => [...consumer.stored.values()].some((r) => r.cal.certificate === 'CH-2026-7'), 'readings under the new certificate', 15_000);
    });
    await until(() => (messages.get(`${config.mqtt!.topicPrefix}/${config.site}/e2e-gw/dmm-01/event`)?.length ?? 0) >= 1, 'the quarantine event', 15_000);

    // The gateway's side: every message on the broker and over HTTPS fits its schema.
    const validators = contractValidators();
    let checked = 0;
    for (const [topic, list] of messages) {
      const id = SCHEMA_BY_TOPIC.find(([re]) => re.test(topic))?.[1];
      expect(id, `a schema for ${topic}`).toBeDefined();
      for (const m of list) {
        expect(validators.get(id!)!(m), `${topic}: ${JSON.stringify(validators.get(id!)!.errors)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    for (const kind of ['data', 'status', 'event', 'state', 'stats']) {
      expect(
        [...messages.keys()].some((t) => t.endsWith(`/${kind}`)),
        kind,
      ).toBe(true);
    }
    expect(receiver.problems).toEqual([]);
    expect(receiver.requests.every((r) => r.userAgent === `metrogate/${VERSION}`)).toBe(true);
    // The quarantine reached the platform over HTTPS too (POST /events, validated by the receiver).
    expect(receiver.events.map((e) => e.event)).toContainEqual(expect.objectContaining({ instrument: 'dmm-01', kind: 'transition', to: 'quarantined' }));

    // The platform's side.
    for (const roster of receiver.rosters) consumer.ingestRoster(roster);
    expect(consumer.problems).toEqual([]);
    expect(consumer.duplicates, 'the resent requests came again').toBeGreaterThan(0);
    for (const inst of config.instruments) {
      const n = polled.get(inst.id)!;
      expect(consumer.seqs(inst.id), inst.id).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    const refs = new Set([...consumer.stored.values()].filter((r) => r.cal.certificate).map((r) => `${r.cal.laboratory}/${r.cal.certificate}`));
    expect(refs).toEqual(new Set(['NIM/E2E-VALID', 'SIMT/CH-2026-7', 'null/E2E-SOON', 'null/E2E-EXPIRED']));
    expect(consumer.unresolved()).toEqual([]);
  }, 60_000);

  it('keeps every reading of a replaced spool: seq starts at 1 again under a new epoch, nothing is taken for a duplicate', async () => {
    const firstRun = new Map(config.instruments.map((i) => [i.id, polled.get(i.id)!]));
    const storedBefore = consumer.stored.size;
    await run(async () => {
      await until(() => consumer.stored.size > storedBefore + 40, 'readings from the new spool', 15_000);
    });
    // Contract: a replaced spool is a new epoch (the field arrives with the spool epoch work).
    expect(consumer.epochs().size, 'epochs seen: each spool its own (needs the spool epoch on reading batches)').toBe(2);
    for (const inst of config.instruments) {
      const total = polled.get(inst.id)!;
      expect(consumer.seqs(inst.id).length, `${inst.id}: both spools' readings kept`).toBe(total);
      expect(total).toBeGreaterThan(firstRun.get(inst.id)!);
    }
    expect(consumer.problems).toEqual([]);
  }, 60_000);
});
