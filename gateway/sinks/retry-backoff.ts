/** The first pause after a failed write; it doubles with every failure that follows. */
export const RETRY_MIN_MS = 250;
/** The longest pause between attempts while a destination stays down. */
export const RETRY_MAX_MS = 5000;

/**
 * The one pace for trying a destination again after a failed write, shared by the spool's sinks
 * (gateway/spool/spooled-sink.ts), the ingest role's InfluxDB writes and its database creation:
 * 250 ms doubling to 5 s, and never sooner than the destination asked (HTTP Retry-After).
 */
export class RetryBackoff {
  private nextMs: number;

  constructor(
    private readonly minMs = RETRY_MIN_MS,
    private readonly maxMs = RETRY_MAX_MS,
  ) {
    this.nextMs = minMs;
  }

  /** How long to wait before the next attempt; retryAfterMs: what the destination asked for, if anything. */
  next(retryAfterMs?: number): number {
    const wait = retryAfterMs === undefined ? this.nextMs : Math.max(retryAfterMs, this.nextMs);
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    return wait;
  }

  /** The destination took a write: the next failure starts from the shortest pause again. */
  reset(): void {
    this.nextMs = this.minMs;
  }
}
