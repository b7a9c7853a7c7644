import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { CloudConfig } from '../../gateway/sinks/cloud/cloud-config.js';
import type { Roster } from '../../gateway/sinks/cloud/roster.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { makeCerts, seqsByInstrument, startReceiver, type Receiver, type TestCerts } from './cloud-fixture.js';
import { until } from '../support/until.js';

const TOKEN = 'test-token-0123456789';

describe('cloud uplink over HTTPS (gzip JSON, bearer token, behind the spool)', () => {
  let certs: TestCerts;
  const dirs: string[] = [];
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => {
    certs?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The demo lab polled every 200 ms, with the cloud uplink pointed at `receiver`. */
  async function lab(
    cloud: Partial<CloudConfig>,
    receiver: Receiver,
    drainTimeoutMs = 15_000,
  ): Promise<{ gateway: Gateway; config: MetrogateConfig; sim: Simulator }> {
    const { config: base, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-cloud-spool-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      // The bath's certificate states a validity range and an uncertainty: its capabilities.
      instruments: base.instruments.map((i) =>
        i.id !== 'bath-01'
          ? i
          : {
              ...i,
              calibration: { ...i.calibration!, range: { min: 0, max: 50 }, errorTable: [{ reference: 25, indication: 25, U: 0.012, k: 2 }] },
            },
      ),
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs },
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
        ...cloud,
      },
    };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    return { gateway, config, sim };
  }

  const cloudStats = (g: Gateway) => g.pipeline.spoolStats().find((s) => s.sink === 'cloud')!;

  it('posts every reading once, in order per instrument, and PUTs a roster with calibration and capabilities', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    const { gateway, config, sim } = await lab({}, receiver);
    try {
      // The platform has readings of every instrument, and a roster that knows bath-01 is online.
      const received = () => Object.fromEntries(config.instruments.map((i) => [i.id, seqsByInstrument(receiver.received).get(i.id)?.length ?? 0]));
      const bathOnline = () => (receiver.rosters.at(-1) as Roster | undefined)?.instruments.find((i) => i.id === 'bath-01')?.online === true;
      await until(() => Object.values(received()).every((n) => n >= 5) && bathOnline(), 'five readings of every instrument and a roster with bath-01 online', {
        timeoutMs: 15_000,
        observe: () => ({ received: received(), rosters: receiver.rosters.length }),
      });
      await gateway.stopPolling();
      expect(receiver.problems).toEqual([]);
      const seqs = seqsByInstrument(receiver.received);
      for (const inst of config.instruments) {
        const polled = gateway.pipeline.counters.get(inst.id)!.polled;
        expect(polled, inst.id).toBeGreaterThan(0);
        expect(seqs.get(inst.id), inst.id).toEqual(Array.from({ length: polled }, (_, i) => i + 1));
        expect(gateway.pipeline.counters.get(inst.id)!.delivered.cloud).toBe(polled);
      }
      // batchMaxReadings: 50 caps a request (a batch is never split).
      expect(Math.max(...receiver.received.map((r) => r.batches.reduce((n, b) => n + b.readings.length, 0)))).toBeLessThanOrEqual(50);
      expect(receiver.received.every((r) => r.site === config.site && r.gateway === 'e2e-gw')).toBe(true);

      const roster = receiver.rosters.at(-1) as Roster;
      expect(roster.instruments.map((i) => i.id)).toEqual(config.instruments.map((i) => i.id));
      const bath = roster.instruments.find((i) => i.id === 'bath-01')!;
      expect(bath).toMatchObject({ protocol: 'modbus-tcp', online: true, lab: 'temperature-lab' });
      expect(bath.calibration).toMatchObject({ status: 'valid', certificate: 'E2E-VALID', due: localDate(200), calibrated: localDate(-100), traceable: true });
      expect(bath.channels.find((c) => c.id === 'temperature')).toEqual({
        id: 'temperature',
        quantity: 'temperature',
        unit: '°C',
        unitCode: 'Cel',
        dsiUnit: '\\degreecelsius',
        timeSource: 'gateway',
        capability: {
          range: { min: 0, max: 50 },
          U: 0.012,
          k: 2,
          u: 0.006,
          method: 'calibration certificate error table',
          certificate: 'E2E-VALID',
          laboratory: null,
        },
        calibration: expect.objectContaining({ status: 'valid', certificate: 'E2E-VALID', calibrated: localDate(-100), kind: 'calibration', sha256: null }),
      });
      expect(roster.certificates).toContainEqual(expect.objectContaining({ certificate: 'E2E-VALID', instrument: 'bath-01', channel: null, unitCode: 'Cel' }));
      const balance = roster.instruments.find((i) => i.id === 'balance-01')!;
      expect(balance.calibration).toMatchObject({ status: 'expired', traceable: false });
      expect(roster.instruments.find((i) => i.id === 'dmm-01')!.calibration).toMatchObject({ status: 'uncalibrated', certificate: null });
      expect(cloudStats(gateway)).toMatchObject({ depth: 0, dropped: 0, rejected: 0, lastError: null, connected: true });
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
    }
  });

  it('retries while the platform answers 503, then delivers everything in order', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    let refusals = 0;
    receiver.answer = () => (refusals++ < 4 ? 503 : 200);
    const { gateway, config, sim } = await lab({}, receiver);
    try {
      await until(() => cloudStats(gateway).lastError !== null, 'the first refusal', 15_000);
      expect(cloudStats(gateway).lastError).toMatch(/answered 503/);
      // The uplink retries through the four refusals while polling goes on, and is taken again.
      await until(() => refusals > 4 && cloudStats(gateway).lastError === null, 'the four refusals, then a request taken', {
        timeoutMs: 30_000,
        observe: () => refusals,
      });
      await gateway.stopPolling();
      const seqs = seqsByInstrument(receiver.received);
      for (const inst of config.instruments) {
        const polled = gateway.pipeline.counters.get(inst.id)!.polled;
        expect(seqs.get(inst.id), inst.id).toEqual(Array.from({ length: polled }, (_, i) => i + 1));
      }
      expect(receiver.requests.filter((r) => r.status === 503)).toHaveLength(4);
      expect(cloudStats(gateway)).toMatchObject({ depth: 0, dropped: 0, lastError: null });
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
    }
  });

  it('drops a batch the platform refuses as malformed (400) after isolating it, counts it, and delivers the rest', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    // The batch of bath-01 holding seq 9 is "malformed" for this platform.
    const poisoned = (b: { instrument: string; readings: { seq: number }[] }) => b.instrument === 'bath-01' && b.readings.some((r) => r.seq === 9);
    receiver.answer = (body) => (body.batches.some(poisoned) ? 400 : 200);
    const { gateway, config, sim } = await lab({}, receiver);
    try {
      await until(() => (gateway.pipeline.counters.get('bath-01')!.polled ?? 0) >= 16, 'four bath polls', 15_000);
      await gateway.stopPolling();
      const bad = gateway.pipeline.counters.get('bath-01')!;
      // The bath has 4 channels: one poll, seqs 9..12, is lost to the platform, on purpose.
      expect(bad.dropped.cloud).toBe(4);
      expect(cloudStats(gateway).rejected).toBe(4);
      const seqs = seqsByInstrument(receiver.received);
      expect(seqs.get('bath-01')).toEqual(Array.from({ length: bad.polled }, (_, i) => i + 1).filter((s) => s < 9 || s > 12));
      for (const inst of config.instruments.filter((i) => i.id !== 'bath-01')) {
        expect(seqs.get(inst.id)!.length, inst.id).toBe(gateway.pipeline.counters.get(inst.id)!.polled);
      }
      // Refused once in a group, then alone: never sent again after that.
      expect(receiver.requests.filter((r) => r.status === 400 && r.batches === 1)).toHaveLength(1);
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
    }
  });

  it('a wrong token is refused with a clear error and the readings wait in the spool', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    const { gateway, sim } = await lab({ token: 'not-the-token' }, receiver, 100);
    try {
      await until(() => cloudStats(gateway).depth >= 20 && cloudStats(gateway).lastError !== null, 'readings piling up', 15_000);
      expect(cloudStats(gateway).lastError).toMatch(/answered 401.*check cloud\.token/);
      expect(cloudStats(gateway)).toMatchObject({ dropped: 0, rejected: 0, delivered: 0 });
      expect(receiver.received).toEqual([]);
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
    }
  });

  it('refuses a server whose certificate the configured CA did not sign, and keeps the readings', async () => {
    const receiver = await startReceiver(certs, TOKEN);
    const { gateway, sim } = await lab({ ca: certs.otherCa }, receiver, 100);
    try {
      await until(() => cloudStats(gateway).depth >= 20 && cloudStats(gateway).lastError !== null, 'readings piling up', 15_000);
      expect(cloudStats(gateway).lastError).toMatch(/not trusted by the CA in cloud\.ca \(.*other-ca\.pem\)/);
      expect(receiver.requests).toEqual([]);
      expect(cloudStats(gateway)).toMatchObject({ dropped: 0, delivered: 0, connected: false });
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
    }
  });
});
