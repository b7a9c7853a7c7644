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

  it('keeps waves at 20 instruments for a large site: 1,000 in 50 waves, 20 ms apart', () => {
    const p = phases(1000, 1000);
    const waves = new Set(p);
    expect(waves.size).toBe(50);
    expect([...waves].slice(0, 3)).toEqual([0, 20, 40]);
    for (const t of waves) expect(p.filter((x) => x === t)).toHaveLength(20);
  });

  it('keeps every phase inside the interval, whatever the count', () => {
    for (const n of [3, 11, 999]) {
      const p = phases(n, 250);
      expect(Math.min(...p)).toBe(0);
      expect(Math.max(...p)).toBeLessThan(250);
    }
  });
});
