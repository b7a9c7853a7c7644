import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusTcpInstrumentConfig as InstrumentConfig } from '../../config/schema.js';
import { ModbusTcpDriver } from '../../drivers/modbus/modbus-tcp-driver.js';
import { ModbusTcpLink } from '../../drivers/modbus/modbus-tcp-link.js';
import { channelsFor, profileByName, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { silentLogger } from '../../gateway/log.js';
import { CollectOutput } from '../support/collect-output.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function instrument(id: string, profile: string, port: number, over: Partial<InstrumentConfig> = {}): InstrumentConfig {
  return {
    id,
    protocol: 'modbus-tcp',
    connection: { host: '127.0.0.1', port, unitId: 1, timeoutMs: 300 },
    pollIntervalMs: 100,
    maxGap: 8,
    maxRegistersPerRead: 125,
    channels: channelsFor(profileByName(profile)),
    ...over,
  };
}

async function simulate(devices: { id: string; profile: string }[]): Promise<Simulator> {
  const sim = await startSimulator({ devices: devices.map((d) => ({ ...d, static: true })) });
  cleanups.push(() => sim.stop());
  return sim;
}

function run(instruments: InstrumentConfig[]): CollectOutput {
  const out = new CollectOutput();
  const driver = new ModbusTcpDriver('lab', instruments, silentLogger());
  driver.start(out);
  cleanups.push(() => driver.stop());
  return out;
}

describe('Modbus TCP driver against the simulator', () => {
  it('reads every channel of every profile with the value the device serves, after scaling', async () => {
    const profiles = ['temperature-bath', 'pressure-controller', 'balance', 'dmm'];
    const sim = await simulate(profiles.map((p) => ({ id: p, profile: p })));
    sim.device('temperature-bath').set('temperature', 23.456);
    sim.device('pressure-controller').set('pressure', -12.345);
    sim.device('balance').set('mass', 99.9987);
    sim.device('dmm').set('voltage', 10.000012345);
    sim.device('dmm').set('serial', 'SN-7');
    const out = run(profiles.map((p) => instrument(p, p, sim.device(p).port)));
    await out.until(() => profiles.every((p) => out.of(p).length >= 2), 'two cycles of every instrument');

    for (const p of profiles) {
      const device = sim.device(p);
      const [batch] = out.of(p);
      expect(batch!.readings.map((r) => r.channel)).toEqual(channelsFor(profileByName(p)).map((c) => c.id));
      for (const r of batch!.readings) {
        expect(r.quality, `${p}.${r.channel}: ${r.reason}`).toBe('good');
        const served = device.value(r.channel);
        if (typeof served === 'number') expect(r.raw).toBeCloseTo(served, 9);
        else expect(r.raw).toBe(served);
        expect(r.value).toEqual(r.raw);
        expect(r).toMatchObject({ site: 'lab', instrument: p });
      }
    }
    expect(out.of('temperature-bath')[0]!.readings[0]!.raw).toBeCloseTo(23.456, 5);
    expect(out.of('pressure-controller')[0]!.readings[0]!.raw).toBeCloseTo(-12.345, 9);
    expect(out.of('dmm')[0]!.readings.find((r) => r.channel === 'serial')!.raw).toBe('SN-7');
  });

  it('numbers readings 1, 2, 3, ... per instrument across cycles, with no gap', async () => {
    const sim = await simulate([{ id: 'b', profile: 'balance' }]);
    const out = run([instrument('b', 'balance', sim.device('b').port)]);
    await out.until(() => out.of('b').length >= 4, 'four cycles');
    const seqs = out.of('b').flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('an exception answer gives bad readings with the exception code, and good ones once it clears', async () => {
    const sim = await simulate([{ id: 'd', profile: 'dmm' }]);
    const device = sim.device('d');
    device.setFaults({ exception: { code: 2, function: 'input' } });
    const out = run([instrument('d', 'dmm', device.port)]);
    await out.until(() => out.of('d').length >= 2, 'two cycles under the fault');
    const faulty = out.of('d')[0]!.readings;
    for (const r of faulty.filter((r) => r.channel !== 'range')) {
      expect(r).toMatchObject({ quality: 'bad', raw: null, value: null, reason: 'exception:2 (illegal data address)' });
    }
    // The holding register is read in its own request and is not affected.
    expect(faulty.find((r) => r.channel === 'range')!.quality).toBe('good');
    device.clearFaults();
    const before = out.batches.length;
    await out.until(() => out.batches.length >= before + 2, 'two cycles after the fault');
    expect(out.batches.at(-1)!.readings.every((r) => r.quality === 'good')).toBe(true);
  });

  it('a device that stops answering does not delay its neighbour, and is reported offline', async () => {
    const sim = await simulate([
      { id: 'dead', profile: 'balance' },
      { id: 'alive', profile: 'balance' },
    ]);
    sim.device('dead').setFaults({ mute: true });
    const out = run([instrument('dead', 'balance', sim.device('dead').port), instrument('alive', 'balance', sim.device('alive').port)]);
    await new Promise((r) => setTimeout(r, 2000));

    const alive = out.of('alive');
    const gaps = alive
      .slice(1)
      .map((b, i) => b.at - alive[i]!.at)
      .sort((a, b) => a - b);
    // 2 s at 100 ms: ~20 cycles, each ~100 ms after the last, though the neighbour times out at 300 ms.
    expect(alive.length).toBeGreaterThanOrEqual(17);
    expect(gaps[Math.floor(gaps.length * 0.95)]!).toBeLessThan(160);
    expect(alive.every((b) => b.readings.every((r) => r.quality === 'good'))).toBe(true);

    const dead = out.of('dead');
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.flatMap((b) => b.readings).every((r) => r.quality === 'bad' && r.raw === null)).toBe(true);
    expect(dead[0]!.readings[0]!.reason).toBe('timeout');
    expect(out.statuses.filter((s) => s.instrument === 'dead').at(-1)).toMatchObject({ online: false });
  });

  it('reconnects by itself after the device drops the connection, marking the lost cycle bad', async () => {
    const sim = await simulate([{ id: 'p', profile: 'pressure-controller' }]);
    const device = sim.device('p');
    const out = run([instrument('p', 'pressure-controller', device.port)]);
    await out.until(() => out.of('p').length >= 2, 'first cycles');
    device.setFaults({ dropConnection: 'once' });
    await out.until(() => out.of('p').some((b) => b.readings.some((r) => r.reason?.startsWith('disconnected'))), 'a disconnected cycle');
    const lost = out.of('p').length;
    await out.until(
      () =>
        out.of('p').length > lost + 1 &&
        out
          .of('p')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good readings again',
      5000,
    );
    const states = out.statuses.map((s) => s.online);
    expect(states).toEqual([true, false, true]);
  });

  it('survives garbage on the wire: that cycle is bad, the next ones are good', async () => {
    const sim = await simulate([{ id: 't', profile: 'temperature-bath' }]);
    const device = sim.device('t');
    const out = run([instrument('t', 'temperature-bath', device.port)]);
    await out.until(() => out.of('t').length >= 1, 'first cycle');
    device.setFaults({ garbage: 'stream' });
    await out.until(() => out.of('t').some((b) => b.readings.some((r) => r.quality === 'bad')), 'a bad cycle');
    device.clearFaults();
    const n = out.of('t').length;
    await out.until(
      () =>
        out.of('t').length > n + 1 &&
        out
          .of('t')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'recovery',
      5000,
    );
  });

  it('drops a late answer by its transaction id, counts it, and never gives one read the value of another', async () => {
    const sim = await simulate([{ id: 'slow', profile: 'bench' }]);
    const device = sim.device('slow');
    device.setRegisters('holding', 0, [1111, 2222, 3333, 4444]);
    // Two reads of the same shape: an answer taken by order instead of by id would swap them.
    const channel = (id: string, address: number) => ({
      id,
      function: 'holding' as const,
      address,
      type: 'uint32',
      order: 'ABCD' as const,
      scale: 1,
      offset: 0,
      quantity: 'x',
      unit: '',
    });
    const driver = new ModbusTcpDriver(
      'lab',
      [instrument('slow', 'bench', device.port, { channels: [channel('first', 0), channel('second', 2)], maxGap: 0, maxRegistersPerRead: 2 })],
      silentLogger(),
    );
    const out = new CollectOutput();
    driver.start(out);
    cleanups.push(() => driver.stop());
    await out.until(() => out.of('slow').length >= 1, 'first cycle');
    device.setFaults({ delayMs: 400 });
    await out.until(() => driver.stats()[0]!.staleAnswers >= 1, 'a late answer counted');
    device.clearFaults();
    const cleared = out.of('slow').length;
    await out.until(
      () =>
        out.of('slow').length > cleared + 1 &&
        out
          .of('slow')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good again',
      8000,
    );
    const expected = { first: 1111 * 65536 + 2222, second: 3333 * 65536 + 4444 };
    const readings = out.of('slow').flatMap((b) => b.readings);
    expect(readings.map((r) => r.reason ?? 'good')).toContain('timeout');
    for (const r of readings.filter((r) => r.quality === 'good')) expect(r.raw, `${r.channel} seq ${r.seq}`).toBe(expected[r.channel as 'first' | 'second']);
  });

  it('keeps no request state once a read is answered (modbus-serial would hold 256 per device)', async () => {
    const sim = await simulate([{ id: 'dmm', profile: 'bench' }]);
    const link = new ModbusTcpLink('127.0.0.1', sim.device('dmm').port, 1, 1000);
    await link.connect(() => undefined);
    cleanups.push(async () => link.close());
    for (let i = 0; i < 300; i++) expect(await link.read('holding', 0, 10)).toMatchObject({ bytes: expect.any(Buffer) });
    // modbus-serial's private table: what a long-running gateway keeps per device between polls.
    const table = (link as unknown as { client: { _transactions: Record<number, unknown> } }).client._transactions;
    expect(Object.keys(table)).toEqual([]);
  });

  it('an unreachable device gives bad "disconnected" readings every cycle and connects once it appears', async () => {
    const sim = await simulate([{ id: 'late', profile: 'balance' }]);
    const port = sim.device('late').port;
    await sim.stop();
    const out = run([instrument('late', 'balance', port)]);
    await out.until(() => out.of('late').length >= 3, 'three cycles without a device');
    expect(
      out
        .of('late')
        .flatMap((b) => b.readings)
        .every((r) => r.quality === 'bad' && r.reason!.startsWith('disconnected')),
    ).toBe(true);
    const again = await startSimulator({ devices: [{ id: 'late', profile: 'balance', port, static: true }] });
    cleanups.push(() => again.stop());
    await out.until(
      () =>
        out
          .of('late')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good readings from the new device',
      8000,
    );
  });
});
