/**
 * Modbus RTU on a real serial line: a socat pseudo-terminal pair, the simulated slaves on one end
 * (serialport, with the line's timing emulated), the driver on the other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileByName, type Profile } from '../../tools/simulators/modbus/index.js';
import { batchGaps, capturingLogger, cleanUp, rtuInstrument, runRtu, serialRig, sleep } from './modbus-rtu-support.js';

afterEach(cleanUp);

const constant = (value: number | boolean | string) => ({ kind: 'constant' as const, value });

/** Every type in every byte order the driver decodes, with scaling, on all four tables. */
const ALL_TYPES: Profile = {
  name: 'all-types',
  description: 'one point per type and byte order',
  points: [
    { channel: 'i16', function: 'holding', address: 0, type: 'int16', quantity: 'x', signal: constant(-12345) },
    { channel: 'i16-badc', function: 'holding', address: 1, type: 'int16', order: 'BADC', quantity: 'x', signal: constant(-2) },
    { channel: 'u16-scaled', function: 'holding', address: 2, type: 'uint16', scale: 0.1, offset: -5, quantity: 'x', signal: constant(6548.5) },
    { channel: 'i32', function: 'holding', address: 3, type: 'int32', quantity: 'x', signal: constant(-2_000_000_001) },
    { channel: 'i32-cdab', function: 'holding', address: 5, type: 'int32', order: 'CDAB', quantity: 'x', signal: constant(123_456_789) },
    { channel: 'u32-badc', function: 'holding', address: 7, type: 'uint32', order: 'BADC', quantity: 'x', signal: constant(4_000_000_000) },
    { channel: 'u32-dcba', function: 'holding', address: 9, type: 'uint32', order: 'DCBA', quantity: 'x', signal: constant(0xdeadbeef) },
    { channel: 'i64', function: 'holding', address: 11, type: 'int64', quantity: 'x', signal: constant(-9_007_199_254_740_991) },
    { channel: 'u64-dcba', function: 'holding', address: 15, type: 'uint64', order: 'DCBA', quantity: 'x', signal: constant(1_234_567_890_123) },
    { channel: 'f32', function: 'input', address: 0, type: 'float32', quantity: 'x', signal: constant(23.456) },
    { channel: 'f32-cdab', function: 'input', address: 2, type: 'float32', order: 'CDAB', quantity: 'x', signal: constant(-0.001234) },
    { channel: 'f32-badc', function: 'input', address: 4, type: 'float32', order: 'BADC', quantity: 'x', signal: constant(1e-20) },
    { channel: 'f32-dcba', function: 'input', address: 6, type: 'float32', order: 'DCBA', quantity: 'x', signal: constant(3.4e38) },
    { channel: 'f64', function: 'input', address: 8, type: 'float64', quantity: 'x', signal: constant(10.000012345678) },
    { channel: 'f64-cdab', function: 'input', address: 12, type: 'float64', order: 'CDAB', quantity: 'x', signal: constant(-273.15) },
    { channel: 'text', function: 'input', address: 20, type: 'string(10)', quantity: 'id', signal: constant('SN-0042') },
    { channel: 'text-badc', function: 'input', address: 25, type: 'string(5)', order: 'BADC', quantity: 'id', signal: constant('AbCdE') },
    { channel: 'reg-bool', function: 'holding', address: 19, type: 'bool', quantity: 'state', signal: constant(true) },
    { channel: 'coil', function: 'coil', address: 3, type: 'bool', quantity: 'state', signal: constant(true) },
    { channel: 'coil-off', function: 'coil', address: 4, type: 'bool', quantity: 'state', signal: constant(false) },
    { channel: 'discrete', function: 'discrete', address: 10, type: 'bool', quantity: 'state', signal: constant(true) },
  ],
};

describe('Modbus RTU on a serial line (socat pty pair, 115200 baud)', () => {
  it('reads every type and byte order with the value each slave serves, several slaves on one line', async () => {
    const { pty, sim } = await serialRig([
      { profile: ALL_TYPES, id: 'types', unitId: 7 },
      { profile: 'temperature-bath', id: 'bath', unitId: 1 },
      { profile: 'dmm', id: 'dmm', unitId: 2 },
    ]);
    sim.device('bath').set('temperature', 21.125);
    sim.device('dmm').set('voltage', 9.999987654);
    const { out } = runRtu('modbus-rtu', [
      rtuInstrument('types', ALL_TYPES, 7, pty.gateway),
      rtuInstrument('bath', 'temperature-bath', 1, pty.gateway),
      rtuInstrument('dmm', 'dmm', 2, pty.gateway),
    ]);
    await out.until(() => ['types', 'bath', 'dmm'].every((id) => out.of(id).length >= 2), 'two cycles of each slave');

    for (const id of ['types', 'bath', 'dmm']) {
      const device = sim.device(id);
      for (const r of out.of(id)[1]!.readings) {
        expect(r.quality, `${id}.${r.channel}: ${r.reason}`).toBe('good');
        const served = device.value(r.channel);
        if (typeof served === 'number') expect(r.raw, `${id}.${r.channel}`).toBeCloseTo(served, 6);
        else expect(r.raw, `${id}.${r.channel}`).toBe(served);
      }
    }
    const types = Object.fromEntries(out.of('types')[1]!.readings.map((r) => [r.channel, r.raw]));
    expect(types).toMatchObject({
      i16: -12345,
      'i16-badc': -2,
      i32: -2_000_000_001,
      'i32-cdab': 123_456_789,
      'u32-badc': 4_000_000_000,
      'u32-dcba': 0xdeadbeef,
      i64: -9_007_199_254_740_991,
      'u64-dcba': 1_234_567_890_123,
      'f64-cdab': -273.15,
      text: 'SN-0042',
      'text-badc': 'AbCdE',
      'reg-bool': true,
      coil: true,
      'coil-off': false,
      discrete: true,
    });
    expect(types['u16-scaled']).toBeCloseTo(6548.5, 9);
    expect(types['f32']).toBeCloseTo(23.456, 5);
    expect(types['f64']).toBe(10.000012345678);
    expect(out.of('bath')[1]!.readings[0]!.raw).toBeCloseTo(21.125, 5);
    expect(sim.counters).toMatchObject({ badFrames: 0, gapViolations: 0, collisions: 0 });
  });

  it('serves three slaves on one line in turn, each at its own interval, one transaction at a time with the gap kept', async () => {
    const { pty, sim } = await serialRig([
      { profile: 'balance', id: 'b1', unitId: 1 },
      { profile: 'balance', id: 'b2', unitId: 2 },
      { profile: 'pressure-controller', id: 'p3', unitId: 3 },
    ]);
    const { out, driver } = runRtu('modbus-rtu', [
      rtuInstrument('b1', 'balance', 1, pty.gateway),
      rtuInstrument('b2', 'balance', 2, pty.gateway, { pollIntervalMs: 200 }),
      rtuInstrument('p3', 'pressure-controller', 3, pty.gateway, { pollIntervalMs: 300 }),
    ]);
    await sleep(3000);

    const counts = Object.fromEntries(['b1', 'b2', 'p3'].map((id) => [id, out.of(id).length]));
    // 3 s at 100, 200 and 300 ms: ~30, ~15 and ~10 cycles; the line has room for all of them.
    expect(counts.b1).toBeGreaterThanOrEqual(25);
    expect(counts.b2).toBeGreaterThanOrEqual(12);
    expect(counts.p3).toBeGreaterThanOrEqual(8);
    for (const id of ['b1', 'b2', 'p3']) {
      const readings = out.of(id).flatMap((b) => b.readings);
      expect(
        readings.every((r) => r.quality === 'good'),
        id,
      ).toBe(true);
      expect(readings.map((r) => r.seq)).toEqual(readings.map((_, i) => i + 1));
    }
    await driver.stop();
    // The slaves watched the master: never two frames closer than 3.5 characters, never talking over an answer.
    expect(sim.counters).toMatchObject({ badFrames: 0, gapViolations: 0, collisions: 0 });
    // The line has room: its estimated load stays well below 1 (a stalled event loop on a busy
    // test machine may still cost a cycle now and then).
    for (const s of driver.stats()) {
      expect(s.lineLoad, s.instrument).toBeLessThan(1);
      expect(s.skippedCycles, s.instrument).toBeLessThanOrEqual(2);
    }
    const [line] = driver.lineStats();
    expect(line!.counters.transactions).toBe(sim.counters.requests);
    expect(line!.counters).toMatchObject({ timeouts: 0, crc: 0, stale: 0, wrongUnit: 0, truncated: 0, malformed: 0 });
  });

  it('backs off a slave that stops answering, so the others keep their cycle time, and takes it back when it answers', async () => {
    const { pty, sim } = await serialRig([
      { profile: 'balance', id: 'a', unitId: 1 },
      { profile: 'balance', id: 'b', unitId: 2 },
      { profile: 'dmm', id: 'dead', unitId: 3 },
    ]);
    // Without isolation each cycle of "dead" costs the line a 100 ms timeout, and every cycle of
    // its neighbours (3 reads each, taking turns with it) would span two or three of them.
    const instruments = [
      rtuInstrument('a', 'balance', 1, pty.gateway),
      rtuInstrument('b', 'balance', 2, pty.gateway),
      rtuInstrument('dead', 'dmm', 3, pty.gateway, { timeoutMs: 100, probeIntervalMs: 1000 }),
    ];
    const { out, driver } = runRtu('modbus-rtu', instruments);
    await out.until(() => out.of('dead').length >= 2, 'the dmm answering');
    const requestsAtMute = sim.device('dead').modbus.requests;
    sim.device('dead').setFaults({ mute: true });
    await out.until(() => driver.stats().find((s) => s.instrument === 'dead')!.backedOff, 'the silent slave backed off');
    const since = Date.now();
    const skippedBefore = driver
      .stats()
      .filter((s) => s.instrument !== 'dead')
      .map((s) => s.skippedCycles);
    await sleep(3000);

    // Measured: the healthy slaves' cycles while the silent one is only probed. A probe still
    // holds the line for its timeout (half-duplex), so a cycle may slip now and then, no more.
    for (const id of ['a', 'b']) {
      const batches = out.of(id).filter((b) => b.at > since);
      const gaps = batchGaps(batches);
      expect(batches.length, `${id}: cycles delivered in 3 s at 100 ms`).toBeGreaterThanOrEqual(22);
      expect(gaps[Math.floor(gaps.length / 2)]!, `${id}: median cycle time`).toBeLessThan(125);
      expect(
        batches.every((b) => b.readings.every((r) => r.quality === 'good')),
        id,
      ).toBe(true);
    }
    const skippedAfter = driver
      .stats()
      .filter((s) => s.instrument !== 'dead')
      .map((s) => s.skippedCycles);
    skippedAfter.forEach((n, i) => expect(n - skippedBefore[i]!).toBeLessThanOrEqual(8));

    // The silent slave still yields one bad reading per channel per cycle, numbered without a gap.
    const dead = out.of('dead');
    const late = dead.filter((b) => b.at > since);
    expect(late.length).toBeGreaterThanOrEqual(22);
    expect(late.every((b) => b.readings.length === instruments[2]!.channels.length && b.readings.every((r) => r.quality === 'bad'))).toBe(true);
    expect(late.some((b) => b.readings[0]!.reason === 'backed off: unit 3 not answering')).toBe(true);
    const seqs = dead.flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // Three silent requests before the back-off, then a few probes: not one request per cycle.
    expect(sim.device('dead').modbus.requests - requestsAtMute).toBeLessThanOrEqual(10);
    expect(out.statuses.filter((s) => s.instrument === 'dead').at(-1)).toMatchObject({ online: false });

    sim.device('dead').clearFaults();
    await out.until(
      () =>
        out
          .of('dead')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'the slave back by itself',
      5000,
    );
    expect(out.statuses.filter((s) => s.instrument === 'dead').at(-1)).toMatchObject({ online: true });
  });

  it('survives a slave that answers CRC errors, garbage, another unit id or truncated frames: counted, bad, and the line recovers', async () => {
    const { pty, sim } = await serialRig([
      { profile: 'balance', id: 'good', unitId: 1 },
      { profile: 'temperature-bath', id: 'noisy', unitId: 2 },
    ]);
    const { out, driver } = runRtu('modbus-rtu', [
      rtuInstrument('good', 'balance', 1, pty.gateway),
      rtuInstrument('noisy', 'temperature-bath', 2, pty.gateway),
    ]);
    await out.until(() => out.of('noisy').length >= 1, 'first cycle');
    const faults = [
      { fault: { crcError: true }, reason: 'invalid response: CRC error', counter: 'crc' },
      { fault: { garbage: true }, reason: 'invalid response: 9 bytes that are no Modbus frame', counter: 'malformed' },
      { fault: { wrongUnit: true }, reason: 'invalid response: answer from unit 3, expected unit 2', counter: 'wrongUnit' },
      { fault: { truncate: true }, reason: 'invalid response: truncated frame', counter: 'truncated' },
    ] as const;
    for (const { fault, reason, counter } of faults) {
      sim.device('noisy').setFaults(fault);
      const from = out.of('noisy').length;
      await out.until(
        () =>
          out
            .of('noisy')
            .slice(from)
            .some((b) => b.readings.some((r) => r.reason?.startsWith(reason))),
        `readings bad with "${reason}"`,
      );
      expect(driver.lineStats()[0]!.counters[counter], counter).toBeGreaterThan(0);
      sim.device('noisy').clearFaults();
      const cleared = out.of('noisy').length;
      await out.until(
        () =>
          out.of('noisy').length > cleared + 1 &&
          out
            .of('noisy')
            .at(-1)!
            .readings.every((r) => r.quality === 'good'),
        `good after ${counter}`,
      );
    }
    // The neighbour never noticed.
    const good = out.of('good').flatMap((b) => b.readings);
    expect(good.length).toBeGreaterThan(20);
    expect(good.every((r) => r.quality === 'good')).toBe(true);
  });

  it('drops a late answer to an earlier request instead of taking it for the next one', async () => {
    const { pty, sim } = await serialRig([{ profile: 'bench', id: 'slow', unitId: 5, registers: 4 }]);
    const device = sim.device('slow');
    device.setRegisters('holding', 0, [1111, 2222, 3333, 4444]);
    // Two instruments on the same slave ask questions of the same shape (2 registers) in turn:
    // a late answer to one would fit the other's request exactly.
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
    const { out, driver } = runRtu('modbus-rtu', [
      rtuInstrument('first', 'bench', 5, pty.gateway, { channels: [channel('v', 0)], timeoutMs: 60, probeIntervalMs: 400 }),
      rtuInstrument('second', 'bench', 5, pty.gateway, { channels: [channel('v', 2)], timeoutMs: 60, probeIntervalMs: 400 }),
    ]);
    await out.until(() => out.of('first').length >= 1 && out.of('second').length >= 1, 'first cycles');
    device.setFaults({ delayMs: 90 });
    await out.until(() => driver.lineStats()[0]!.counters.stale >= 3, 'late answers seen and dropped');
    device.clearFaults();
    await out.until(() => ['first', 'second'].every((id) => out.of(id).at(-1)!.readings[0]!.quality === 'good'), 'good again');
    const expected = { first: 1111 * 65536 + 2222, second: 3333 * 65536 + 4444 };
    for (const id of ['first', 'second'] as const) {
      for (const r of out.of(id).flatMap((b) => b.readings)) {
        if (r.quality === 'good') expect(r.raw, `${id} seq ${r.seq}`).toBe(expected[id]);
      }
    }
  });

  it('says so when the line is over capacity: a metric in the stats and a warning naming the instruments', async () => {
    const slow = { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 } as const;
    const { pty } = await serialRig(
      [
        { profile: 'bench', id: 'big', unitId: 1, registers: 100 },
        { profile: 'balance', id: 'small', unitId: 2 },
      ],
      slow,
    );
    const { log, events } = capturingLogger();
    // 100 registers at 9600 baud: ~220 ms on the wire per cycle, asked for every 100 ms.
    const { out, driver } = runRtu(
      'modbus-rtu',
      [
        rtuInstrument('big', profileByName('bench', 100), 1, pty.gateway, { line: { port: pty.gateway, ...slow }, timeoutMs: 200 }),
        rtuInstrument('small', 'balance', 2, pty.gateway, { line: { port: pty.gateway } }),
      ],
      log,
    );
    await out.until(() => driver.stats().some((s) => s.overCapacity), 'the line flagged over capacity', 8000);
    const stats = driver.stats();
    expect(stats.find((s) => s.instrument === 'big')!.skippedCycles).toBeGreaterThan(0);
    expect(stats[0]!.lineLoad).toBeGreaterThan(1);
    const warning = events().find((e) => typeof e.msg === 'string' && e.msg.includes('over capacity'));
    expect(warning).toBeDefined();
    expect(warning!.lagging).toContain('big');
    expect(warning!.msg).toContain('big');
    // Still one reading per channel per delivered cycle, all good: slower, never wrong or silent.
    expect(out.of('big').every((b) => b.readings.length === 100 && b.readings.every((r) => r.quality === 'good'))).toBe(true);
  });
});
