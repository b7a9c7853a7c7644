import { describe, expect, it } from 'vitest';
import { channelsFor, profileByName } from '../../tools/simulators/modbus/index.js';
import { InstrumentPoll, type ReadResult } from '../../drivers/modbus/poll-cycle.js';
import type { UntaggedReading } from '../../gateway/reading.js';

/** One cycle, every planned read answered with zeros at `ts` (the clock is the argument). */
function cycleAt(poll: InstrumentPoll, ts: number): UntaggedReading[] {
  const cycle = poll.begin(ts);
  while (!cycle.done) {
    const read = cycle.next!;
    const res: ReadResult =
      read.fn === 'coil' || read.fn === 'discrete' ? { bits: new Array<boolean>(read.count).fill(false) } : { bytes: new Uint8Array(read.count * 2) };
    cycle.succeed(res, ts);
  }
  return cycle.finish(ts);
}

/**
 * InfluxDB keeps one point per series and millisecond. A late cycle followed at once by the next
 * can finish both within one millisecond; the faults-sigkill test lost bath-01's seq 365 and 366
 * that way (overwritten by 369 and 370, same channel, same .532).
 */
describe('Modbus readings of one channel never share a timestamp', () => {
  const poll = () => new InstrumentPoll('site', { id: 'bal', channels: channelsFor(profileByName('balance')), maxGap: 0, maxRegistersPerRead: 125 });

  it('stamps the second of two cycles in the same millisecond 1 ms later, per channel', () => {
    const p = poll();
    const a = cycleAt(p, 1000);
    const b = cycleAt(p, 1000);
    const c = cycleAt(p, 1000);
    expect(a.map((r) => r.ts)).toEqual([1000, 1000, 1000]);
    expect(b.map((r) => r.ts)).toEqual([1001, 1001, 1001]);
    expect(c.map((r) => r.ts)).toEqual([1002, 1002, 1002]);
    expect([...a, ...b, ...c].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('leaves the clock alone when cycles are apart, and when it was stepped back (NTP)', () => {
    const p = poll();
    expect(cycleAt(p, 1000).map((r) => r.ts)).toEqual([1000, 1000, 1000]);
    expect(cycleAt(p, 1200).map((r) => r.ts)).toEqual([1200, 1200, 1200]);
    expect(cycleAt(p, 1199).map((r) => r.ts)).toEqual([1201, 1201, 1201]);
    expect(cycleAt(p, 900).map((r) => r.ts)).toEqual([900, 900, 900]);
  });
});
