/**
 * The HTTPS uplink during a platform outage. The roster:  one retry at a time, backing off and keeping
 * the platform's Retry-After, however many roster changes happen meanwhile. A real HTTPS receiver;
 * the uplink's roster intervals are shortened (retry from 500 ms instead of 5 s) so that an outage
 * of many retry intervals fits in a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { silentLogger } from '../../gateway/log.js';
import { HttpsUplink } from '../../gateway/sinks/cloud/https-uplink.js';
import { RosterTracker, type Roster } from '../../gateway/sinks/cloud/roster.js';
import { VERSION } from '../../gateway/version.js';
import { demoLab } from '../support/e2e-fixture.js';
import { capturingLogger, rtuInstrument } from '../support/modbus-rtu-rig.js';
import { makeCerts, startReceiver, type Receiver, type TestCerts } from './cloud-fixture.js';
import { until } from '../support/until.js';

/** The window in which a roster already taken must not be sent again. */
const NO_SECOND_ROSTER_MS = 1500;

const TOKEN = 'test-token-0123456789';
const TIMING = { checkMs: 1000, retryMinMs: 500, retryMaxMs: 2000 };

describe('the roster over HTTPS while the platform refuses', () => {
  let certs: TestCerts;
  let receiver: Receiver;
  beforeAll(async () => {
    certs = makeCerts();
    receiver = await startReceiver(certs, TOKEN);
  });
  afterAll(async () => {
    await receiver?.close();
    certs?.remove();
  });

  it('keeps to one roster request per retry interval through many roster changes, honours Retry-After, and sends the latest roster once taken', async () => {
    const instruments = ['a', 'b', 'c'].map((id, i) => rtuInstrument(id, 'balance', i + 1, '/dev/null'));
    const calibration = new CalibrationEngine({ site: 'lab', instruments, log: silentLogger() });
    const roster = new RosterTracker({ site: 'lab', gateway: 'gw', instruments, calibration });
    receiver.answerRoster = () => 503;
    const uplink = new HttpsUplink({
      cloud: {
        enabled: true,
        url: receiver.url,
        token: TOKEN,
        ca: certs.ca,
        format: 'json',
        topicPrefix: 'metrogate',
        inOrder: true,
        maxInFlight: 8,
        batchMaxReadings: 50,
        timeoutMs: 5000,
      },
      site: 'lab',
      gateway: 'gw',
      roster,
      log: silentLogger(),
      rosterTiming: TIMING,
    });
    await uplink.start();
    try {
      const puts = () => receiver.requests.filter((r) => r.method === 'PUT');
      // Instruments going on and off line every 100 ms (a flapping line, a wave of quarantines).
      let flips = 0;
      const flap = async (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          const id = ['a', 'b', 'c'][flips % 3]!;
          uplink.state({ instrument: id, online: flips % 2 === 0, since: Date.now(), cal: calibration.statusOf(id) });
          flips++;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await flap(8000);
      const plain = puts();
      expect(plain.length, 'the platform was asked at all').toBeGreaterThanOrEqual(3);
      // 500, 1000, 2000, 2000 … ms apart: never more than one request per retry interval.
      const gaps = plain.slice(1).map((r, i) => r.at - plain[i]!.at);
      for (const gap of gaps) expect(gap, `gaps ${gaps.join(', ')}`).toBeGreaterThanOrEqual(TIMING.retryMinMs - 50);
      expect(plain.length, `${flips} roster changes in 8 s`).toBeLessThanOrEqual(8);

      // The platform asks for 3 s of quiet: the uplink waits at least that long.
      receiver.retryAfter = '3';
      const from = puts().length;
      await flap(9000);
      const polite = puts().slice(from);
      expect(polite.length).toBeGreaterThanOrEqual(2);
      for (const [i, r] of polite.slice(1).entries()) expect(r.at - polite[i]!.at).toBeGreaterThanOrEqual(2950);

      // Back: the latest roster arrives, once, with the gateway's version in the User-Agent.
      receiver.answerRoster = () => 204;
      receiver.retryAfter = undefined;
      await until(() => receiver.rosters.length >= 1, 'the roster taken', 10_000);
      const last = (receiver.rosters.at(-1) as Roster).instruments.map((i) => i.online);
      const expected = ['a', 'b', 'c'].map((id) => roster.build().instruments.find((i) => i.id === id)!.online);
      expect(last).toEqual(expected);
      // A deliberate quiet window: no second PUT of the same roster may follow within it.
      await new Promise((r) => setTimeout(r, NO_SECOND_ROSTER_MS));
      expect(receiver.rosters).toHaveLength(1);
      expect(
        puts().every((r) => r.userAgent === `metrogate/${VERSION}`),
        puts()[0]!.userAgent,
      ).toBe(true);
    } finally {
      await uplink.stop();
    }
  }, 40_000);
});

describe('the spool replay to a refusing platform, as the log tells it', () => {
  it('says "replaying the spool" once per outage and "caught up" only after the platform took the readings', async () => {
    const certs = makeCerts();
    const receiver = await startReceiver(certs, TOKEN);
    const { config: base, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-cloud-spool-'));
    const config: MetrogateConfig = {
      ...base,
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 5000 },
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
    let refusing = true;
    receiver.answer = () => (refusing ? 503 : 200);
    // The platform asks for a second of quiet after each refusal.
    receiver.retryAfter = '1';
    const { log, events } = capturingLogger();
    const gateway = buildGateway(config, log, { drivers: true, ingest: false });
    await gateway.start();
    try {
      const cloudLog = () => events().filter((e) => e.sink === 'cloud');
      const refused = () => receiver.requests.filter((r) => r.path.endsWith('/readings') && r.status === 503).length;
      await until(() => refused() >= 5, 'five refused retries', 20_000);
      const during = cloudLog();
      expect(
        during.filter((e) => e.msg === 'spool replay caught up'),
        'caught up while refused',
      ).toEqual([]);
      expect(during.filter((e) => e.msg === 'replaying the spool').length, 'replay announced per retry').toBeLessThanOrEqual(1);
      const posts = receiver.requests.filter((r) => r.path.endsWith('/readings'));
      const gaps = posts.slice(1).map((r, i) => r.at - posts[i]!.at);
      for (const gap of gaps) expect(gap, `readings requests ${gaps.join(', ')} ms apart, Retry-After 1 s`).toBeGreaterThanOrEqual(950);

      refusing = false;
      const firstTaken = Date.now();
      await until(() => cloudLog().some((e) => e.msg === 'spool replay caught up'), 'the replay caught up', 20_000);
      const caughtUp = cloudLog().filter((e) => e.msg === 'spool replay caught up');
      expect(caughtUp).toHaveLength(1);
      expect(Number(caughtUp[0]!.time)).toBeGreaterThanOrEqual(firstTaken);
      // By then the platform holds everything the spool had waiting: nothing replayed is in flight.
      expect(receiver.requests.some((r) => r.status === 200 && r.at <= Number(caughtUp[0]!.time))).toBe(true);
    } finally {
      await gateway.stop();
      await receiver.close();
      await sim.stop();
      certs.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
