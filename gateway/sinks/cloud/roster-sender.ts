/**
 * Keeps the cloud platform's copy of the roster current over HTTPS: a PUT at start, after a
 * change, and on a periodic check. While the platform refuses, exactly one retry is scheduled at
 * a time (backing off, and never sooner than the platform's Retry-After); changes that happen
 * meanwhile ride on that retry. Before this, every failed PUT started its own retry timer and
 * every check, state change and calibration event added one more: loops multiplied over an outage.
 */
import type { Logger } from '../../log.js';
import { RejectedBatchError, RetryLaterError } from '../sink-errors.js';
import type { RosterTracker } from './roster.js';

export interface RosterTiming {
  /** Periodic check for changes that raise no event (an uncertainty drifting, a date passing). */
  checkMs: number;
  /** First retry after a failed PUT; doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
}

export const ROSTER_TIMING: RosterTiming = { checkMs: 60_000, retryMinMs: 5_000, retryMaxMs: 300_000 };

export interface RosterSenderDeps {
  tracker: RosterTracker;
  put(json: string): Promise<void>;
  /** A transport error in words a user can act on. */
  explain(err: Error): string;
  log: Logger;
  timing?: RosterTiming;
}

export class RosterSender {
  private readonly timing: RosterTiming;
  private pending = false;
  private sending = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private retryMs: number;

  constructor(private readonly deps: RosterSenderDeps) {
    this.timing = deps.timing ?? ROSTER_TIMING;
    this.retryMs = this.timing.retryMinMs;
  }

  start(): void {
    this.pending = true;
    void this.send();
    this.checkTimer = setInterval(() => this.changed(), this.timing.checkMs);
    this.checkTimer.unref();
  }

  /** Something the roster is built from may have changed. */
  changed(): void {
    this.pending = true;
    if (!this.sending && !this.retryTimer) void this.send();
  }

  stop(): void {
    this.stopped = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async send(): Promise<void> {
    if (this.stopped || !this.pending) return;
    this.pending = false;
    const roster = this.deps.tracker.changed();
    if (!roster) return;
    this.sending = true;
    try {
      await this.deps.put(JSON.stringify(roster));
      this.retryMs = this.timing.retryMinMs;
      this.deps.log.info({ instruments: roster.instruments.length }, 'roster sent to the cloud platform');
    } catch (err) {
      if (err instanceof RejectedBatchError) {
        this.deps.log.error({ err: err.message }, 'cloud platform refused the roster; it is sent again when it changes');
      } else {
        // Not taken: the next attempt sends the roster whether or not it changed again.
        this.deps.tracker.reset();
        this.pending = true;
        this.scheduleRetry(err as Error);
      }
    } finally {
      this.sending = false;
    }
    if (this.pending && !this.retryTimer) void this.send();
  }

  private scheduleRetry(err: Error): void {
    const wait = err instanceof RetryLaterError ? Math.max(err.retryAfterMs, this.retryMs) : this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.timing.retryMaxMs);
    this.deps.log.warn({ err: this.deps.explain(err), retryInMs: wait }, 'roster not sent; retrying');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.send();
    }, wait);
    this.retryTimer.unref();
  }
}
