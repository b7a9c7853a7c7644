import { describe, expect, it } from 'vitest';
import { crcHolds, expectationFor, looksTruncated, readRequest, scanFrame, withCrc } from '../../drivers/modbus/rtu-frame.js';
import { lineTiming } from '../../drivers/modbus/rtu-timing.js';
import { PollGrid } from '../../drivers/modbus/poll-grid.js';
import { SlaveHealth } from '../../drivers/modbus/slave-health.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('RTU framing', () => {
  it('computes CRC-16/MODBUS as the spec examples show it, low byte first on the wire', () => {
    // Modbus over Serial Line v1.02, section 6.2.2 and the classic "read 10 holding registers".
    expect(readRequest(0x11, 'holding', 0x006b, 3)).toEqual(hex('11 03 006B 0003 7687'));
    expect(readRequest(1, 'holding', 0, 10)).toEqual(hex('01 03 0000 000A C5CD'));
    expect(readRequest(1, 'coil', 19, 37)).toEqual(withCrc(hex('01 01 0013 0025')));
    expect(crcHolds(hex('01 03 0000 000A C5CD'), 0, 8)).toBe(true);
    expect(crcHolds(hex('01 03 0000 000A C5CE'), 0, 8)).toBe(false);
  });

  const expect4 = expectationFor(2, 'input', 2); // unit 2, function 4, 4 data bytes
  const answer = withCrc(hex('02 04 04 41BB A5E3'));

  it('finds the answer whole, or waits while it is still arriving', () => {
    expect(scanFrame(answer, expect4)).toEqual({ kind: 'frame', start: 0, end: 9 });
    for (let n = 0; n < answer.length; n++) expect(scanFrame(answer.subarray(0, n), expect4)).toEqual({ kind: 'incomplete' });
    expect(looksTruncated(answer.subarray(0, 5), expect4)).toBe(true);
    expect(looksTruncated(answer, expect4)).toBe(false);
  });

  it('reports a CRC error at once when the expected answer arrives corrupted', () => {
    const bad = Buffer.from(answer);
    bad[5] = bad[5]! ^ 0x01;
    expect(scanFrame(bad, expect4)).toEqual({ kind: 'crc', end: 9 });
  });

  it('skips noise before a frame and finds frames of other units for the caller to judge', () => {
    const noisy = Buffer.concat([hex('FF 00 3F'), answer]);
    expect(scanFrame(noisy, expect4)).toEqual({ kind: 'frame', start: 3, end: 12 });
    const other = withCrc(hex('07 03 02 0001'));
    expect(scanFrame(other, expect4)).toEqual({ kind: 'frame', start: 0, end: 7 });
    const exception = withCrc(hex('02 84 02'));
    expect(scanFrame(exception, expect4)).toEqual({ kind: 'frame', start: 0, end: 5 });
  });

  it('finds nothing in bytes that are no frame', () => {
    expect(scanFrame(hex('3F E2 00 7D 91 C4 18 55 A0'), expect4)).toEqual({ kind: 'incomplete' });
    expect(looksTruncated(hex('3F E2 00 7D'), expect4)).toBe(false);
  });
});

describe('serial line timing', () => {
  it('needs 3.5 character times between frames, and 1.75 ms above 19200 baud', () => {
    const at9600 = lineTiming({ baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 });
    expect(at9600.charMs).toBeCloseTo(11 / 9.6, 9);
    expect(at9600.gapMs).toBeCloseTo((3.5 * 11) / 9.6, 9);
    expect(lineTiming({ baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 2 }).gapMs).toBeCloseTo((3.5 * 11) / 19.2, 9);
    const at115200 = lineTiming({ baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
    expect(at115200.charMs).toBeCloseTo(10 / 115.2, 9);
    expect(at115200.gapMs).toBe(1.75);
  });
});

describe('poll grid', () => {
  it('keeps cycles on their grid and counts the ones a late cycle passed', () => {
    const grid = new PollGrid(100);
    grid.start(1000);
    expect(grid.isDue(999)).toBe(false);
    expect(grid.advance(1040)).toBe(0);
    expect(grid.nextDue).toBe(1100);
    expect(grid.advance(1350)).toBe(2);
    expect(grid.nextDue).toBe(1400);
    expect(grid.advance(1500)).toBe(0);
    expect(grid.nextDue).toBe(1500);
  });
});

describe('slave health', () => {
  it('backs a silent slave off after three silent requests, with growing waits up to the probe interval', () => {
    const health = new SlaveHealth(100, 1000);
    expect(health.silent(0)).toBe(false);
    expect(health.silent(100)).toBe(false);
    expect(health.silent(200)).toBe(true);
    expect(health.backedOff).toBe(true);
    expect(health.mayAttempt(399)).toBe(false);
    expect(health.mayAttempt(400)).toBe(true);
    health.silent(400);
    expect(health.nextAttemptIn(400)).toBe(400);
    health.silent(800);
    expect(health.nextAttemptIn(800)).toBe(800);
    health.silent(1600);
    expect(health.nextAttemptIn(1600)).toBe(1000);
    expect(health.answered()).toBe(true);
    expect(health.backedOff).toBe(false);
    expect(health.mayAttempt(1601)).toBe(true);
  });
});
