/**
 * Signals: what a simulated instrument reads at time t, in engineering units (after scaling).
 * Declared as data so a profile stays a plain table, then compiled once per device into a
 * closure that costs a few float operations per evaluation.
 */
import type { DecodedValue } from '../../../drivers/modbus/decode.js';

export type Signal =
  /** A fixed value: setpoints, ranges, serial numbers, status bits. */
  | { kind: 'constant'; value: DecodedValue }
  /**
   * A measured quantity: `mean` + slow sinusoidal drift of `drift` amplitude over `driftPeriodS`
   * + white Gaussian noise with standard deviation `noise`.
   */
  | { kind: 'noisy'; mean: number; noise: number; drift?: number; driftPeriodS?: number }
  /** A status flag: true for the `duty` share of every `periodS` (e.g. "stable" most of the time). */
  | { kind: 'flag'; periodS: number; duty: number };

/** A signal bound to one device: its own random stream and drift phase. */
export type SignalFn = (tMs: number) => DecodedValue;

const DEFAULT_DRIFT_PERIOD_S = 600;

/** mulberry32: a tiny seeded PRNG, so a seeded simulator replays the same noise. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviate (Box–Muller; the second deviate is dropped to stay stateless). */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function compileSignal(signal: Signal, random: () => number): SignalFn {
  switch (signal.kind) {
    case 'constant': {
      const value = signal.value;
      return () => value;
    }
    case 'noisy': {
      const { mean, noise } = signal;
      const drift = signal.drift ?? 0;
      const omega = (2 * Math.PI) / ((signal.driftPeriodS ?? DEFAULT_DRIFT_PERIOD_S) * 1000);
      // A per-device phase keeps 1,000 simulated instruments from drifting in lockstep.
      const phase = random() * 2 * Math.PI;
      return (tMs) => mean + drift * Math.sin(omega * tMs + phase) + noise * gaussian(random);
    }
    case 'flag': {
      const periodMs = signal.periodS * 1000;
      const onMs = signal.duty * periodMs;
      const shift = random() * periodMs;
      return (tMs) => (tMs + shift) % periodMs < onMs;
    }
  }
}

/** The value without noise or drift: what a `static` simulator shows, and what tests expect. */
export function nominalValue(signal: Signal): DecodedValue {
  switch (signal.kind) {
    case 'constant':
      return signal.value;
    case 'noisy':
      return signal.mean;
    case 'flag':
      return signal.duty > 0;
  }
}
