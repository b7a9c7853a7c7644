/**
 * A platform fed over HTTPS learns of every calibration event (an instrument quarantined and
 * released, the events that make readings suspect) as it learns of readings: POST <url>/events,
 * acknowledged by a 2xx, kept in the spool through a refusing or unreachable platform and a
 * gateway restart, delivered once, in order with the readings, valid against cal-event.v1.json
 * (the receiver validates every body against the committed schemas).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab } from '../support/e2e-fixture.js';
import { until } from '../support/until.js';
import { makeCerts, seqsByInstrument, startReceiver, type Receiver, type TestCerts } from './cloud-fixture.js';

const TOKEN = 'test-token-0123456789';

/** The demo lab (polled every 200 ms) with its cloud uplink on `receiver` and its spool in `spoolDir`. */
async function labConfig(receiver: Receiver, spoolDir: string, ca: string, events?: boolean): Promise<{ config: MetrogateConfig; stopSim(): Promise<void> }> {
  const { config: base, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
  const config: MetrogateConfig = {
    ...base,
    spool: { dir: spoolDir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 200 },
    cloud: {
      enabled: true,
      url: receiver.url,
      token: TOKEN,
      ca,
      format: 'json',
      topicPrefix: 'metrogate',
      inOrder: true,
      maxInFlight: 64,
      batchMaxReadings: 50,
      timeoutMs: 5000,
      ...(events !== undefined && { events }),
    },
  };
  return { config, stopSim: () => sim.stop() };
}

async function startGateway(config: MetrogateConfig): Promise<Gateway> {
  const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
  await gateway.start();
  return gateway;
}

const cloudStats = (g: Gateway) => g.pipeline.spoolStats().find((s) => s.sink === 'cloud')!;

/**
 * Waits until the dmm has `n` readings polled, so that readings of its old status are in the
 * spool before the event and the order around the event can be checked.
 */
const dmmPolled = (g: Gateway, n: number, what: string) => until(() => (g.pipeline.counters.get('dmm-01')?.polled ?? 0) >= n, what, 15_000);

/** The dmm's cal.status in each accepted readings request, in arrival order ([] where it had none). */
function dmmStatuses(receiver: Receiver): string[][] {
  return receiver.received.map((r) => r.batches.filter((b) => b.instrument === 'dmm-01').flatMap((b) => b.readings.map((x) => x.cal.status)));
}

describe('calibration events over the HTTPS uplink', () => {
  let certs: TestCerts;
  const dirs: string[] = [];
  const spoolDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-cloud-events-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => {
    certs?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an event raised while the platform answers 503 arrives once it takes requests again, once, between the readings it came between', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    let refusing = false;
    receiver.answer = () => (refusing ? 503 : 200);
    receiver.answerEvent = () => (refusing ? 503 : 200);
    const { config, stopSim } = await labConfig(receiver, spoolDir(), certs.ca);
    const gateway = await startGateway(config);
    try {
      await until(() => receiver.received.length >= 2, 'readings taken before the outage', 15_000);
      refusing = true;
      await until(() => receiver.requests.filter((r) => r.status === 503).length >= 2, 'the platform refusing', 15_000);
      await dmmPolled(gateway, 2, 'the dmm polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'quarantined', reason: 'drifting on the check standard' });
      const before = gateway.pipeline.counters.get('dmm-01')!.polled;
      await dmmPolled(gateway, before + 4, 'quarantined readings polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: null, reason: 'checked again, in tolerance' });
      await dmmPolled(gateway, before + 8, 'released readings polled');
      expect(receiver.events, 'nothing taken while the platform refuses').toEqual([]);
      refusing = false;
      await until(() => receiver.events.length >= 2 && cloudStats(gateway).depth === 0, 'the events and the backlog taken', 20_000);
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      expect(receiver.events.map((e) => e.event)).toEqual([
        expect.objectContaining({ v: 1, site: config.site, gateway: 'e2e-gw', instrument: 'dmm-01', kind: 'transition', to: 'quarantined' }),
        expect.objectContaining({ v: 1, instrument: 'dmm-01', kind: 'transition', from: 'quarantined', to: 'uncalibrated' }),
      ]);
      // In order with the readings: every dmm reading before the first event is untouched by the
      // quarantine, every one between the two events is quarantined, none after them.
      const statuses = dmmStatuses(receiver);
      const [quarantine, release] = receiver.events.map((e) => e.after);
      expect(
        statuses
          .slice(0, quarantine)
          .flat()
          .every((s) => s !== 'quarantined'),
      ).toBe(true);
      expect(statuses.slice(quarantine, release).flat().length).toBeGreaterThan(0);
      expect(
        statuses
          .slice(quarantine, release)
          .flat()
          .every((s) => s === 'quarantined'),
      ).toBe(true);
      expect(
        statuses
          .slice(release)
          .flat()
          .every((s) => s !== 'quarantined'),
      ).toBe(true);
      // Every reading once as well, and the event's retries were requests of their own.
      const seqs = seqsByInstrument(receiver.received);
      for (const inst of config.instruments) {
        const polled = gateway.pipeline.counters.get(inst.id)!.polled;
        expect(seqs.get(inst.id), inst.id).toEqual(Array.from({ length: polled }, (_, i) => i + 1));
      }
      expect(receiver.requests.filter((r) => r.path.endsWith('/events') && r.status === 200)).toHaveLength(2);
      expect(cloudStats(gateway)).toMatchObject({ depth: 0, dropped: 0, rejected: 0, lastError: null });
    } finally {
      await gateway.stop();
      await receiver.close();
      await stopSim();
    }
  }, 60_000);

  it('a refused event holds back the readings spooled after it until the platform takes it', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    let eventRefusals = 0;
    receiver.answerEvent = () => (eventRefusals++ < 3 ? 503 : 201);
    const { config, stopSim } = await labConfig(receiver, spoolDir(), certs.ca);
    const gateway = await startGateway(config);
    try {
      await until(() => receiver.received.length >= 2, 'readings taken', 15_000);
      await dmmPolled(gateway, 2, 'the dmm polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'out_of_service', reason: 'sent for repair' });
      await until(() => receiver.events.length === 1, 'the event taken after three refusals', 20_000);
      await until(() => receiver.received.length > receiver.events[0]!.after, 'readings after the event', 15_000);
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      expect(receiver.requests.filter((r) => r.path.endsWith('/events')).map((r) => r.status)).toEqual([503, 503, 503, 201]);
      expect(receiver.events[0]!.event).toMatchObject({ instrument: 'dmm-01', kind: 'transition', to: 'out_of_service' });
      // No reading spooled after the event overtook it while it was refused.
      const statuses = dmmStatuses(receiver);
      expect(
        statuses
          .slice(0, receiver.events[0]!.after)
          .flat()
          .every((s) => s !== 'out_of_service'),
      ).toBe(true);
      expect(statuses.slice(receiver.events[0]!.after).flat()).toContain('out_of_service');
    } finally {
      await gateway.stop();
      await receiver.close();
      await stopSim();
    }
  }, 60_000);

  it('an event the platform refuses for its content (422) is dropped, not sent again, and the next one still arrives', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    receiver.answerEvent = (event) => (event.to === 'out_of_service' ? 422 : 200);
    const { config, stopSim } = await labConfig(receiver, spoolDir(), certs.ca);
    const gateway = await startGateway(config);
    try {
      await dmmPolled(gateway, 2, 'the dmm polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'out_of_service', reason: 'a status this platform refuses' });
      await dmmPolled(gateway, gateway.pipeline.counters.get('dmm-01')!.polled + 2, 'readings after the refused event');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: null, reason: 'back in service' });
      await until(() => receiver.events.length === 1 && cloudStats(gateway).depth === 0, 'the release taken', 15_000);
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      expect(receiver.requests.filter((r) => r.path.endsWith('/events')).map((r) => r.status)).toEqual([422, 200]);
      expect(receiver.events.map((e) => e.event)).toEqual([expect.objectContaining({ from: 'out_of_service', to: 'uncalibrated' })]);
      const seqs = seqsByInstrument(receiver.received).get('dmm-01')!;
      expect(seqs).toEqual(Array.from({ length: gateway.pipeline.counters.get('dmm-01')!.polled }, (_, i) => i + 1));
    } finally {
      await gateway.stop();
      await receiver.close();
      await stopSim();
    }
  });

  it('with cloud.events: false (a platform without /events) no event is posted and the readings flow past it', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    const { config, stopSim } = await labConfig(receiver, spoolDir(), certs.ca, false);
    const gateway = await startGateway(config);
    try {
      await dmmPolled(gateway, 2, 'the dmm polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'quarantined', reason: 'not for this platform' });
      await until(() => dmmStatuses(receiver).flat().includes('quarantined'), 'quarantined readings at the platform', 15_000);
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      expect(receiver.requests.filter((r) => !r.path.endsWith('/readings') && !r.path.endsWith('/roster'))).toEqual([]);
      expect(cloudStats(gateway)).toMatchObject({ rejected: 0, dropped: 0, lastError: null });
    } finally {
      await gateway.stop();
      await receiver.close();
      await stopSim();
    }
  });

  it('an event spooled while the platform is unreachable survives a gateway restart and arrives once', async () => {
    const first = await startReceiver(certs, TOKEN);
    const port = first.port;
    await first.close(); // the platform is gone: connections are refused
    const dir = spoolDir();
    const { config, stopSim } = await labConfig(first, dir, certs.ca);
    let gateway = await startGateway(config);
    let receiver: Receiver | undefined;
    try {
      await until(() => cloudStats(gateway).lastError !== null, 'the uplink failing', 15_000);
      await dmmPolled(gateway, 2, 'the dmm polled');
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'quarantined', reason: 'failed intermediate check' });
      const before = gateway.pipeline.counters.get('dmm-01')!.polled;
      await dmmPolled(gateway, before + 2, 'readings after the event');
      expect(cloudStats(gateway).lastError).toMatch(/ECONNREFUSED/);
      await gateway.stop();

      receiver = await startReceiver(certs, TOKEN, port);
      gateway = await startGateway(config);
      await until(() => receiver!.events.length >= 1 && cloudStats(gateway).depth === 0, 'the spooled event delivered after the restart', 20_000);
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      expect(receiver.events.map((e) => e.event)).toEqual([
        expect.objectContaining({ site: config.site, gateway: 'e2e-gw', instrument: 'dmm-01', kind: 'transition', to: 'quarantined' }),
      ]);
      // The readings from before the restart come first, in order, then the second run's.
      const seqs = seqsByInstrument(receiver.received).get('dmm-01')!;
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      const statuses = dmmStatuses(receiver);
      expect(
        statuses
          .slice(0, receiver.events[0]!.after)
          .flat()
          .every((s) => s !== 'quarantined'),
      ).toBe(true);
    } finally {
      await gateway.stop();
      await receiver?.close();
      await stopSim();
    }
  }, 60_000);
});
