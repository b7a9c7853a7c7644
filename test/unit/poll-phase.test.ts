import { describe, expect, it } from 'vitest';
import { pollPhase } from '../../drivers/modbus/poll-grid.js';

function phases(n: number, intervalMs: number): number[] {
  return Array.from({ length: n }, (_, i) => pollPhase(i, n, intervalMs));
}

describe('poll phases of Modbus TCP instruments', () => {
  it('spreads a few instruments evenly over the interval, one start time each', () => {
    expect(phases(4, 1000)).toEqual([0, 250, 500, 750]);
    expect(phases(1, 1000)).toEqual([0]);
  });

  it('puts 200 instruments in 10 waves of 20, 100 ms apart, so each wave shares one spool commit', () => {
    const p = phases(200, 1000);
    const waves = new Map<number, number>();
    for (const t of p) waves.set(t, (waves.get(t) ?? 0) + 1);
    expect([...waves.keys()]).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect([...waves.values()].every((n) => n === 20)).toBe(true);
  });

  it('keeps every phase inside the interval, whatever the count', () => {
    for (const n of [3, 11, 999]) {
      const p = phases(n, 250);
      expect(Math.min(...p)).toBe(0);
      expect(Math.max(...p)).toBeLessThan(250);
    }
  });
});
