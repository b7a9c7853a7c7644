/**
 * Modbus RTU on a real serial line (a socat pseudo-terminal pair, the simulated slaves on one end,
 * the driver on the other): a slave that misbehaves (falls silent, answers CRC errors, garbage,
 * another unit id, truncated or late frames) gets bad readings that say why, is counted, and
 * costs its neighbours on the line as little as the wire allows; the line recovers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectOutput } from '../support/collect-output.js';
import { stallAfterAnswers } from '../support/event-loop-stall.js';
import { batchGaps, cleanUp, rtuInstrument, runRtu, serialRig, sleep } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

describe('Modbus RTU on a serial line (socat pty pair, 115200 baud): misbehaving slaves', () => {
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

  it('drops a late answer that reached the port while the gateway was stalled, instead of taking it for the next request', async () => {
    const { device, out, driver } = await oneSlaveAskedTwice();
    // Each late answer is followed by a 150 ms stall of the whole process: its bytes wait unread in
    // the kernel while the gateway's overdue timer (the end of its wait for that late answer) fires.
    const stalls = stallAfterAnswers(device.modbus, { ms: 150 }, () => device.faults.delayMs > 0);
    device.setFaults({ delayMs: LATE_MS });
    await out.until(() => stalls() >= 6, 'six late answers, each followed by a stall');
    device.clearFaults();
    await out.until(() => ['first', 'second'].every((id) => out.of(id).at(-1)!.readings[0]!.quality === 'good'), 'good again');
    expect(driver.lineStats()[0]!.counters.stale).toBeGreaterThanOrEqual(3);
    expectOwnValues(out);
  });

  it('drops a late answer that reached the port while both the gateway and its thread pool were busy', async () => {
    const { device, out, driver } = await oneSlaveAskedTwice();
    // As above, and the thread pool serialport reads on stays busy 40 ms longer: the late answer
    // is still in the kernel when the gateway's read round has ended.
    const stalls = stallAfterAnswers(device.modbus, { ms: 150, threadPoolMs: 190 }, () => device.faults.delayMs > 0);
    device.setFaults({ delayMs: LATE_MS });
    await out.until(() => stalls() >= 4, 'four late answers, each followed by a stall', 20_000);
    device.clearFaults();
    await out.until(() => ['first', 'second'].every((id) => out.of(id).at(-1)!.readings[0]!.quality === 'good'), 'good again');
    expectOwnValues(out);
    // Not counted as stale each time: a late answer the gateway flushed from the port is never read.
    expect(driver.lineStats()[0]!.counters.timeouts).toBeGreaterThanOrEqual(4);
  });

  it('drops a late answer to an earlier request instead of taking it for the next one', async () => {
    const { device, out, driver } = await oneSlaveAskedTwice();
    device.setFaults({ delayMs: LATE_MS });
    await out.until(() => driver.lineStats()[0]!.counters.stale >= 3, 'late answers seen and dropped');
    device.clearFaults();
    await out.until(() => ['first', 'second'].every((id) => out.of(id).at(-1)!.readings[0]!.quality === 'good'), 'good again');
    expectOwnValues(out);
  });
});

/**
 * The slave answers this late, with timeoutMs 100: after the timeout, and well inside the one more
 * timeout the driver waits for a late answer. The simulated slave runs in the test's process, so a
 * stall of that process right after a request (a loaded machine) delays its answer as much; the
 * margin keeps such an answer inside the wait.
 */
const LATE_MS = 115;
const EXPECTED = { first: 1111 * 65536 + 2222, second: 3333 * 65536 + 4444 };

/**
 * Two instruments on the same slave ask questions of the same shape (2 registers) in turn: a late
 * answer to one would fit the other's request exactly.
 */
async function oneSlaveAskedTwice() {
  const { pty, sim } = await serialRig([{ profile: 'bench', id: 'slow', unitId: 5, registers: 4 }]);
  const device = sim.device('slow');
  device.setRegisters('holding', 0, [1111, 2222, 3333, 4444]);
  const channel = (address: number) => ({
    id: 'v',
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
    rtuInstrument('first', 'bench', 5, pty.gateway, { channels: [channel(0)], timeoutMs: 100, probeIntervalMs: 400 }),
    rtuInstrument('second', 'bench', 5, pty.gateway, { channels: [channel(2)], timeoutMs: 100, probeIntervalMs: 400 }),
  ]);
  await out.until(() => out.of('first').length >= 1 && out.of('second').length >= 1, 'first cycles');
  return { device, out, driver };
}

/** Every good reading carries its own instrument's value, never the other's. */
function expectOwnValues(out: CollectOutput): void {
  for (const id of ['first', 'second'] as const) {
    for (const r of out.of(id).flatMap((b) => b.readings)) {
      if (r.quality === 'good') expect(r.raw, `${id} seq ${r.seq}`).toBe(EXPECTED[id]);
    }
  }
}
