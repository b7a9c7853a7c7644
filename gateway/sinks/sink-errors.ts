/**
 * How a sink tells the spool why a write failed. Any other error means "not taken, try again":
 * the batch stays in the spool and is sent again after a backoff.
 */

/** The destination refused the batch itself (HTTP 400, 422, ...): retrying cannot help. */
export class RejectedBatchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RejectedBatchError';
  }
}

/** The destination asked to be left alone for a while (HTTP 429 or 503 with Retry-After). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}
