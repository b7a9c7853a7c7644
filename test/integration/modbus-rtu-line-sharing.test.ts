/**
 * Modbus RTU on a real serial line (a socat pseudo-terminal pair, the simulated slaves on one end,
 * the driver on the other): how the driver shares the half-duplex line, one transaction at a time
 * with the inter-frame gap kept, each slave at its own interval, and what it reports when the line
 * has less room than the configured polling asks for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileByName } from '../../tools/simulators/modbus/index.js';
import { capturingLogger, cleanUp, rtuInstrument, runRtu, serialRig, sleep } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

describe('Modbus RTU on a serial line (socat pty pair, 115200 baud): sharing the line', () => {
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
