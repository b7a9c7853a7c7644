/**
 * Dead-slave isolation on a shared line. A slave that stops answering costs the whole line a
 * timeout per request, so after a few silent attempts it is backed off: tried again after 2, 4,
 * 8 … poll intervals (degraded polling), then every `probeIntervalMs` (periodic probes). One
 * answer brings it straight back. Only silence backs a slave off: an exception, a CRC error or a
 * truncated frame shows that it is there and costs the line no more than a normal answer.
 */
export const SILENT_ATTEMPTS_BEFORE_BACKOFF = 3;

export class SlaveHealth {
  private silentAttempts = 0;
  private backoffSteps = 0;
  private nextAttemptAt = 0;
  private silentSince: number | null = null;

  constructor(
    private readonly pollIntervalMs: number,
    private readonly probeIntervalMs: number,
  ) {}

  get backedOff(): boolean {
    return this.silentAttempts >= SILENT_ATTEMPTS_BEFORE_BACKOFF;
  }

  /** Silent requests in a row. */
  get silence(): number {
    return this.silentAttempts;
  }

  /** When the slave last answered before falling silent (ms since epoch), for the reason text. */
  get since(): number | null {
    return this.silentSince;
  }

  /** Whether a cycle due now may use the line; false: its readings are bad without a request. */
  mayAttempt(now: number): boolean {
    return !this.backedOff || now >= this.nextAttemptAt;
  }

  /** The slave answered (anything framed and addressed from it). Returns true when it was backed off. */
  answered(): boolean {
    const wasBackedOff = this.backedOff;
    this.silentAttempts = 0;
    this.backoffSteps = 0;
    this.silentSince = null;
    return wasBackedOff;
  }

  /** A request went unanswered. Returns true when this one backed the slave off. */
  silent(now: number): boolean {
    const wasBackedOff = this.backedOff;
    this.silentSince ??= now;
    this.silentAttempts++;
    if (!this.backedOff) return false;
    const wait = Math.min(this.pollIntervalMs * 2 ** ++this.backoffSteps, this.probeIntervalMs);
    this.nextAttemptAt = now + wait;
    return !wasBackedOff;
  }

  /** ms until the next attempt, for logs. */
  nextAttemptIn(now: number): number {
    return Math.max(0, this.nextAttemptAt - now);
  }
}
