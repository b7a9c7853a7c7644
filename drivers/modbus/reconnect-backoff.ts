/**
 * When to try a lost connection (or serial port) again: exponential back-off from 0.5 s to 30 s,
 * with jitter so a rack of devices that failed together does not retry in lockstep.
 */
const MIN_MS = 500;
const MAX_MS = 30_000;

export class ReconnectBackoff {
  private delayMs = MIN_MS;
  private nextAt = 0;

  /** ms since epoch of the next allowed attempt. */
  get nextAttemptAt(): number {
    return this.nextAt;
  }

  mayTry(now: number): boolean {
    return now >= this.nextAt;
  }

  succeeded(): void {
    this.delayMs = MIN_MS;
  }

  /** An attempt failed, or an open connection was lost: wait before the next one. */
  failed(now: number): void {
    this.nextAt = now + this.delayMs * (0.8 + Math.random() * 0.4);
    this.delayMs = Math.min(this.delayMs * 2, MAX_MS);
  }
}
