/**
 * A dead slave on a slow serial line (socat pty pair, 9600 baud) must cost its neighbours only
 * the time its own requests physically hold the line (half-duplex: a request waits its timeout
 * for an answer). Its "do not ask again for timeoutMs" wait after an unanswered request is spent
 * serving the others, never holding the line idle while a live slave is due.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger, cleanUp, rtuInstrument, runRtu, serialRig, sleep } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

const SLOW = { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 } as const;
const RUN_MS = 20_000;
/** One live cycle plus the event loop of a shared test machine. */
const SLACK_MS = 300;

/**
 * How late each cycle of an instrument started after it fell due, replaying its poll grid (cycle
 * k due at start + phase + k·interval; a cycle that ends past later grid points skips them).
 * A cycle's start is taken from its first reading's timestamp (the answer, a few ms later).
 */
function lateness(batches: { at: number; readings: { ts: number }[] }[], firstDue: number, intervalMs: number): number[] {
  let due = firstDue;
  return batches.map((b) => {
    const late = b.readings[0]!.ts - due;
    due += intervalMs;
    if (due < b.at) due += Math.ceil((b.at - due) / intervalMs) * intervalMs;
    return late;
  });
}

describe.each([1000, 2000])('a dead slave with timeoutMs %i on a 9600 baud line', (timeoutMs) => {
  // Longer than one unanswered request, so a cycle it delays is late, not lost.
  const liveIntervalMs = timeoutMs + 500;

  it(
    'holds the line only for its own requests: live slaves keep their cycles, none waits on an idle line',
    async () => {
      // Unit 3 is on the config but not on the line: nothing ever answers it. Polled every 250 ms,
      // its cycles are due again long before its wait for a late answer ends.
      const { pty, sim } = await serialRig(
        [
          { profile: 'balance', id: 'a', unitId: 1 },
          { profile: 'balance', id: 'b', unitId: 2 },
        ],
        SLOW,
      );
      const line = { port: pty.gateway, ...SLOW };
      const { log, events, lines } = capturingLogger();
      // The driver spreads first cycles over the interval: instrument i of 3 starts at i/3 of it.
      const startedAt = Date.now();
      const { out, driver } = runRtu(
        'modbus-rtu',
        [
          rtuInstrument('a', 'balance', 1, pty.gateway, { line, pollIntervalMs: liveIntervalMs, timeoutMs: 500 }),
          rtuInstrument('b', 'balance', 2, pty.gateway, { line, pollIntervalMs: liveIntervalMs, timeoutMs: 500 }),
          rtuInstrument('dead', 'dmm', 3, pty.gateway, { line, pollIntervalMs: 250, timeoutMs, probeIntervalMs: 10_000 }),
        ],
        log,
      );
      await sleep(RUN_MS);
      const deadRequests = driver.lineStats()[0]!.counters.timeouts;
      await driver.stop();

      expect(deadRequests, 'the dead slave was asked (and timed out) several times').toBeGreaterThanOrEqual(4);
      const expected = Math.floor(RUN_MS / liveIntervalMs);
      for (const [i, id] of ['a', 'b'].entries()) {
        const good = out.of(id).filter((b) => b.readings.every((r) => r.quality === 'good'));
        expect(good.length, `${id}: cycles kept of ${expected}`).toBeGreaterThanOrEqual(Math.ceil(0.9 * expected));
        const late = lateness(good, startedAt + Math.floor((i * liveIntervalMs) / 3), liveIntervalMs);
        // At most one unanswered request (its timeout plus its frames on the wire) ahead of a due
        // cycle; any more and the line sat idle while this slave was due.
        expect(Math.max(...late), `${id}: latest start against its grid (ms)`).toBeLessThanOrEqual(timeoutMs + SLACK_MS);
      }
      expect(sim.counters).toMatchObject({ badFrames: 0, gapViolations: 0, collisions: 0 });

      // The line has room: no advice to raise the baud rate, the warning names the silent slave.
      const warnings = events()
        .filter((e) => e.level === 40)
        .map((e) => String(e.msg));
      expect(warnings.filter((m) => m.includes('raise the baud rate'))).toEqual([]);
      expect(driver.lineStats()[0]!.overCapacity).toBe(false);
      const silence = warnings.filter((m) => m.includes('waited for dead (unit 3'));
      const backedOff = warnings.filter((m) => m.includes('slave backed off'));
      expect(silence.length + backedOff.length, warnings.join('\n')).toBeGreaterThan(0);
      // Each event names its line once (pino writes a repeated child binding twice).
      for (const raw of lines()) expect(raw.match(/"line":/g)?.length ?? 0, raw).toBeLessThanOrEqual(1);
    },
    RUN_MS + 20_000,
  );
});
