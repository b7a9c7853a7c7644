import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OpcuaInstrumentConfig } from '../../config/schema.js';
import { OpcuaDriver, type OpcuaInstrumentStats } from '../../drivers/opcua/opcua-driver.js';
import { channelsFor, profileByName, startOpcuaSimulator, type OpcuaSimulator } from '../../tools/simulators/opcua/index.js';
import { silentLogger } from '../../gateway/log.js';
import { UNTAGGED, type UntaggedReading } from '../../gateway/reading.js';
import { CollectOutput } from '../support/collect-output.js';
import { until } from '../support/until.js';

const CHAMBER = profileByName('climate-chamber');
const IDS = ['sub', 'poll', 'deadband', 'status', 'spread', 'ts', 'queue', 'cal-ok', 'cal-off'];

let dir: string;
let sim: OpcuaSimulator;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-opcua-driver-'));
  sim = await startOpcuaSimulator({
    pkiDir: join(dir, 'server-pki'),
    static: true,
    instruments: IDS.map((id) => ({
      id,
      profile: 'climate-chamber' as const,
      ...(id.startsWith('cal') ? { calibration: { last: '2026-03-14', next: '2027-03-14', certificate: 'DEV-CERT-1' } } : {}),
    })),
  });
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function instrument(id: string, over: Partial<OpcuaInstrumentConfig> = {}): OpcuaInstrumentConfig {
  return {
    id,
    protocol: 'opcua',
    endpoint: sim.endpoint,
    security: { mode: 'None', policy: 'Basic256Sha256', pkiDir: join(dir, 'client-pki') },
    read: 'subscribe',
    timestamps: 'source',
    subscription: { publishingIntervalMs: 50, samplingIntervalMs: 20, queueSize: 1, maxItemsPerSubscription: 1000 },
    polling: { intervalMs: 100, maxNodesPerRead: 500 },
    timeoutMs: 2000,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
    channels: channelsFor(id, CHAMBER),
    ...over,
  };
}

function run(instruments: OpcuaInstrumentConfig[], log = silentLogger()): { out: CollectOutput; driver: OpcuaDriver } {
  const out = new CollectOutput();
  const driver = new OpcuaDriver('lab', instruments, log);
  driver.start(out);
  cleanups.push(() => driver.stop());
  return { out, driver };
}

const readingsOf = (out: CollectOutput, id: string): UntaggedReading[] => out.of(id).flatMap((b) => b.readings);
const lastOf = (out: CollectOutput, id: string, channel: string) =>
  readingsOf(out, id)
    .filter((r) => r.channel === channel)
    .at(-1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OPC UA driver against the simulator', () => {
  it('subscribes: every channel arrives with the value the server serves, then every change', async () => {
    const chamber = sim.instrument('sub');
    const served = { temperature: 23.4567, humidity: 45.6, heater_power: 12.3, door_open: true, program: 'ramp 2' };
    for (const [ch, v] of Object.entries(served)) chamber.set(ch, v);
    const { out } = run([instrument('sub')]);
    await out.until(() => new Set(readingsOf(out, 'sub').map((r) => r.channel)).size === CHAMBER.points.length, 'a reading of every channel');

    for (const p of CHAMBER.points) {
      const r = lastOf(out, 'sub', p.channel)!;
      expect(r, p.channel).toMatchObject({
        site: 'lab',
        instrument: 'sub',
        quantity: p.quantity,
        unit: p.unit,
        quality: 'good',
        raw: chamber.value(p.channel),
      });
      expect(r.value).toBe(r.raw);
      expect(r.cal).toBe(UNTAGGED);
      expect(r.reason).toBeUndefined();
    }
    expect(lastOf(out, 'sub', 'temperature')!.raw).toBe(23.4567);
    // Float on the wire: the reading is the float32 the server holds, not the double that was set.
    expect(lastOf(out, 'sub', 'heater_power')!.raw).toBe(Math.fround(12.3));
    expect(lastOf(out, 'sub', 'program')!.raw).toBe('ramp 2');

    chamber.set('temperature', -12.25);
    await out.until(() => lastOf(out, 'sub', 'temperature')?.raw === -12.25, 'the changed temperature');
    const seqs = readingsOf(out, 'sub').map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    for (const b of out.of('sub')) expect(new Set(b.readings.map((r) => r.channel)).size).toBe(b.readings.length);
  });

  it('polls in batches: one reading per channel per cycle, in channel order, matching the server', async () => {
    const chamber = sim.instrument('poll');
    chamber.set('temperature', 31.5);
    chamber.set('humidity', 12.25);
    const { out, driver } = run([instrument('poll', { read: 'poll', polling: { intervalMs: 100, maxNodesPerRead: 2 } })]);
    await out.until(() => out.of('poll').length >= 3, 'three poll cycles');
    for (const b of out.of('poll')) {
      expect(b.readings.map((r) => r.channel)).toEqual(CHAMBER.points.map((p) => p.channel));
      for (const r of b.readings) expect(r.raw, r.channel).toBe(chamber.value(r.channel));
    }
    expect(lastOf(out, 'poll', 'temperature')!.raw).toBe(31.5);
    const stats = driver.stats()[0] as OpcuaInstrumentStats;
    expect(stats.polls).toBeGreaterThanOrEqual(3);
    expect(stats.subscriptions).toBe(0);
  });

  it('an absolute deadband suppresses changes smaller than it, a percent deadband uses the EURange', async () => {
    const chamber = sim.instrument('deadband');
    chamber.set('temperature', 20);
    chamber.set('humidity', 50);
    const channels = channelsFor('deadband', CHAMBER).map((ch) =>
      ch.id === 'temperature'
        ? { ...ch, deadband: { type: 'absolute' as const, value: 0.5 } }
        : ch.id === 'humidity'
          ? { ...ch, deadband: { type: 'percent' as const, value: 2 } }
          : ch,
    );
    const { out } = run([instrument('deadband', { channels })]);
    await out.until(() => lastOf(out, 'deadband', 'humidity')?.raw === 50 && lastOf(out, 'deadband', 'temperature')?.raw === 20, 'initial values');
    const count = (ch: string) => readingsOf(out, 'deadband').filter((r) => r.channel === ch).length;
    const [t0, h0] = [count('temperature'), count('humidity')];

    // Inside the deadbands: 0.4 °C < 0.5 °C; 1.5 %RH < 2 % of the 0..100 range.
    chamber.set('temperature', 20.4);
    chamber.set('humidity', 51.5);
    await sleep(300);
    // A change of an undamped channel is the barrier: once it arrives, the small ones would have.
    chamber.set('temperature_setpoint', 21);
    await out.until(() => lastOf(out, 'deadband', 'temperature_setpoint')?.raw === 21, 'the barrier');
    expect([count('temperature'), count('humidity')]).toEqual([t0, h0]);

    chamber.set('temperature', 20.6);
    chamber.set('humidity', 52.5);
    await out.until(
      () => lastOf(out, 'deadband', 'temperature')?.raw === 20.6 && lastOf(out, 'deadband', 'humidity')?.raw === 52.5,
      'changes past the deadbands',
    );
    expect([count('temperature'), count('humidity')]).toEqual([t0 + 1, h0 + 1]);
  });

  it('a Bad status gives a bad reading with the code name and no value; Uncertain keeps the value, flagged', async () => {
    const chamber = sim.instrument('status');
    chamber.set('temperature', 25);
    const { out } = run([instrument('status')]);
    await out.until(() => lastOf(out, 'status', 'temperature')?.raw === 25, 'the good value');

    chamber.setStatus('temperature', 'BadSensorFailure');
    await out.until(() => lastOf(out, 'status', 'temperature')?.quality === 'bad', 'the bad reading');
    expect(lastOf(out, 'status', 'temperature')).toMatchObject({ quality: 'bad', reason: 'BadSensorFailure', raw: null, value: null });

    chamber.set('humidity', 33);
    chamber.setStatus('humidity', 'UncertainLastUsableValue');
    await out.until(() => lastOf(out, 'status', 'humidity')?.quality === 'uncertain', 'the uncertain reading');
    expect(lastOf(out, 'status', 'humidity')).toMatchObject({ quality: 'uncertain', reason: 'UncertainLastUsableValue', raw: 33 });

    chamber.set('temperature', 26);
    await out.until(() => lastOf(out, 'status', 'temperature')?.raw === 26, 'good again');
    expect(lastOf(out, 'status', 'temperature')).toMatchObject({ quality: 'good', raw: 26 });
    expect(lastOf(out, 'status', 'temperature')!.reason).toBeUndefined();
  });

  it('spreads items over subscriptions of at most maxItemsPerSubscription; an unknown node is a bad reading', async () => {
    const channels = [...channelsFor('spread', CHAMBER), { id: 'ghost', nodeId: 'ns=1;s=spread.no-such-node', quantity: 'temperature', unit: '°C' }];
    const { out, driver } = run([
      instrument('spread', { channels, subscription: { publishingIntervalMs: 50, samplingIntervalMs: 20, queueSize: 1, maxItemsPerSubscription: 3 } }),
    ]);
    await out.until(() => new Set(readingsOf(out, 'spread').map((r) => r.channel)).size === channels.length, 'a reading of every channel');
    const stats = driver.stats()[0] as OpcuaInstrumentStats;
    expect(stats).toMatchObject({ online: true, sessions: 1, subscriptions: 3, monitoredItems: CHAMBER.points.length });
    expect(lastOf(out, 'spread', 'ghost')).toMatchObject({ quality: 'bad', reason: 'BadNodeIdUnknown', raw: null });
    for (const p of CHAMBER.points) expect(lastOf(out, 'spread', p.channel)!.quality).toBe('good');
  });

  it('takes ts from the source, the server or the gateway as configured', async () => {
    const polled = (timestamps: OpcuaInstrumentConfig['timestamps']) =>
      instrument('ts', { id: `ts-${timestamps}`, read: 'poll', timestamps, channels: channelsFor('ts', CHAMBER).slice(0, 1) });
    const before = Date.now();
    const { out } = run([polled('source'), polled('server'), polled('gateway')]);
    await out.until(() => ['source', 'server', 'gateway'].every((t) => out.of(`ts-${t}`).length >= 3), 'three polls each');
    const ts = (t: string) =>
      out
        .of(`ts-${t}`)
        .slice(0, 3)
        .map((b) => b.readings[0]!.ts);
    // The value does not change: its source timestamp stays the one of the last change (before the test).
    expect(new Set(ts('source')).size).toBe(1);
    expect(ts('source')[0]!).toBeLessThan(before);
    for (const t of ['server', 'gateway']) {
      expect(new Set(ts(t)).size, t).toBe(3);
      expect(ts(t)[0]!, t).toBeGreaterThanOrEqual(before - 1000);
    }
  });

  it('a publish holding several samples of one channel (queueSize > 1) becomes batches of one reading per channel', async () => {
    const chamber = sim.instrument('queue');
    const { out } = run([
      instrument('queue', {
        channels: channelsFor('queue', CHAMBER).slice(0, 1),
        subscription: { publishingIntervalMs: 2000, samplingIntervalMs: 0, queueSize: 10, maxItemsPerSubscription: 1000 },
      }),
    ]);
    await out.until(() => readingsOf(out, 'queue').length >= 1, 'the initial value');
    const values = [1.5, 2.5, 3.5, 4.5];
    for (const v of values) {
      chamber.set('temperature', v);
      // Well past the server's sampling interval (10 ms), even on a loaded machine.
      await sleep(150);
    }
    await out.until(() => lastOf(out, 'queue', 'temperature')?.raw === 4.5, 'the last value');
    const got = readingsOf(out, 'queue').map((r) => r.raw);
    expect(got.slice(-4)).toEqual(values);
    expect(out.of('queue').every((b) => b.readings.length === 1)).toBe(true);
    // Several of them came in one publish response (the interval is 2 s): same receive time.
    expect(
      new Set(
        out
          .of('queue')
          .slice(-4)
          .map((b) => b.at),
      ).size,
    ).toBeLessThan(4);
  });

  it('reads the device calibration object and reports whether it agrees with the configured certificate', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const calibration = (due: string) => ({ certificate: 'CFG-1', calibrated: '2026-03-14', due });
    const { driver } = run(
      [
        instrument('cal-ok', { deviceCalibration: { node: 'ns=1;s=cal-ok.Calibration', refreshMinutes: 60 }, calibration: calibration('2027-03-14') }),
        instrument('cal-off', { deviceCalibration: { node: 'ns=1;s=cal-off.Calibration', refreshMinutes: 60 }, calibration: calibration('2027-06-30') }),
      ],
      log,
    );
    const stats = () => driver.stats() as OpcuaInstrumentStats[];
    await until(() => stats().every((s) => s.deviceCalibration), 'the device calibration of both instruments', {
      observe: () => stats().map((s) => s.deviceCalibration),
    });

    expect(stats()[0]!.deviceCalibration).toMatchObject({ lastCalibrationDate: '2026-03-14', nextCalibrationDate: '2027-03-14', matchesConfig: true });
    expect(stats()[1]!.deviceCalibration).toMatchObject({
      nextCalibrationDate: '2027-03-14',
      matchesConfig: false,
      mismatch: 'device next calibration 2027-03-14, configured due 2027-06-30',
    });
    const warnings = lines.map((l) => JSON.parse(l) as { instrument: string; msg: string });
    expect(warnings.filter((w) => /calibration dates disagree/.test(w.msg)).map((w) => w.instrument)).toEqual(['cal-off']);
  });
});
