import { describe, expect, it } from 'vitest';
import { until, waitFor, WaitTimeout } from '../support/until.js';

describe("until() and waitFor(), the suite's one wait", () => {
  it('resolves as soon as the check holds', async () => {
    let n = 0;
    await until(() => ++n >= 3, 'three looks', { timeoutMs: 1000, intervalMs: 1 });
    expect(n).toBe(3);
  });

  it('throws at its deadline, naming what it waited for and the last observed value', async () => {
    let n = 0;
    const started = Date.now();
    const err = await until(() => false, 'fifty stored readings', { timeoutMs: 200, intervalMs: 10, observe: () => ++n }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WaitTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((err as Error).message).toMatch(new RegExp(`^timed out after 200 ms waiting for fifty stored readings; last observed: ${n}$`));
  });

  it("without observe, reports the check's own last answer", async () => {
    await expect(until(async () => false, 'the broker', 50)).rejects.toThrow('timed out after 50 ms waiting for the broker; last observed: false');
  });

  it('waitFor returns the accepted value and reports the last value or error', async () => {
    let n = 0;
    expect(
      await waitFor(
        'a count of 2',
        () => ++n,
        (v) => v === 2,
        { intervalMs: 1 },
      ),
    ).toBe(2);
    await expect(
      waitFor(
        'state online',
        () => ({ state: 'offline' }),
        (v) => v.state === 'online',
        50,
      ),
    ).rejects.toThrow("waiting for state online; last observed: { state: 'offline' }");
    await expect(
      waitFor(
        'a server',
        () => {
          throw new Error('ECONNREFUSED');
        },
        () => true,
        50,
      ),
    ).rejects.toThrow('last observed: Error: ECONNREFUSED');
  });
});
