/**
 * The suite's one wait. Every wait fails loudly at its deadline, naming what it waited for and the
 * last value it saw, so a red test says "waited 10 s for 50 stored readings; last: 48" instead of
 * passing on a loop that gave up quietly or failing later on an assertion with no context.
 */
import { inspect } from 'node:util';

export interface WaitOptions {
  /** Give up (and throw) after this long; default 10 s. */
  timeoutMs?: number;
  /** Time between two looks; default 25 ms. */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_INTERVAL_MS = 25;

function optionsOf(opts: number | WaitOptions | undefined): Required<WaitOptions> {
  const o = typeof opts === 'number' ? { timeoutMs: opts } : (opts ?? {});
  return { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, intervalMs: o.intervalMs ?? DEFAULT_INTERVAL_MS };
}

/** A short, one-line rendering of an observed value for a failure message. */
export function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const text = inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 500 });
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** Thrown when a wait reaches its deadline; `last` is what the probe returned (or threw) last. */
export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last observed: ${describeValue(last)}`);
    this.name = 'WaitTimeout';
  }
}

/**
 * Reads `probe` until `accept` holds for its value and returns that value. A probe that throws
 * counts as "not yet" (a server still starting); its error is reported if the deadline comes.
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, accept: (value: T) => boolean, opts?: number | WaitOptions): Promise<T> {
  const { timeoutMs, intervalMs } = optionsOf(opts);
  const deadline = Date.now() + timeoutMs;
  let last: unknown = '(never probed)';
  for (;;) {
    try {
      const value = await probe();
      last = value;
      if (accept(value)) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new WaitTimeout(what, timeoutMs, last);
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}

const HELD = Symbol('held');

/**
 * Waits until `check` holds. `observe` names the value behind the check (a count, the last state)
 * so the failure says what was seen instead of only "false".
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, opts?: number | (WaitOptions & { observe?: () => unknown })): Promise<void> {
  const observe = typeof opts === 'object' ? opts.observe : undefined;
  await waitFor(
    what,
    async () => ((await check()) ? HELD : observe ? observe() : false),
    (seen) => seen === HELD,
    opts,
  );
}
