import { InfluxUnavailable } from '../../influx/influx-writer.js';
import type { RefusedLine, WriteOutcome } from '../../influx/write-policy.js';
import { RejectedBatchError, RetryLaterError } from '../sink-errors.js';
import type { PendingBatch } from './batch-coalescer.js';

/** Told when InfluxDB refused some lines of a batch and stored the rest. */
export type OnRefused = (batch: PendingBatch, refused: number, detail: string) => void;

/** Writes the group's texts in order by the one write policy (gateway/influx/write-policy.ts). */
export type WriteGroup = (texts: readonly string[], linesOf: (i: number) => number) => Promise<WriteOutcome>;

/**
 * Writes a group of batches (one request when it fits) and settles each batch by what InfluxDB
 * did with its lines; the splitting on 413 and 400 is the shared policy's:
 * - every line stored: resolved, so the spool's cursor moves;
 * - some lines refused on their own (400, e.g. a field type conflict), the rest stored: resolved,
 *   and onRefused is told; every line refused: rejected (RejectedBatchError: the spool drops it,
 *   counted);
 * - not written (network, 5xx, 401, 404 ...): rejected with a plain Error, so the spool keeps it
 *   and retries after a backoff (RetryLaterError when InfluxDB sent Retry-After). The policy does
 *   not retry here: the spool does.
 */
export async function deliverGroup(group: PendingBatch[], write: WriteGroup, onRefused: OnRefused = () => {}): Promise<void> {
  let outcome: WriteOutcome;
  try {
    outcome = await write(
      group.map((b) => b.text),
      (i) => group[i]!.lines,
    );
  } catch (err) {
    outcome = { refused: [], stored: 0, unwritten: { from: 0, error: err instanceof Error ? err : new Error(String(err)) } };
  }
  const refused = group.map(() => 0);
  const first: (RefusedLine | undefined)[] = group.map(() => undefined);
  for (const r of outcome.refused) {
    refused[r.text]!++;
    first[r.text] ??= r;
  }
  const end = outcome.unwritten?.from ?? group.length;
  group.forEach((b, i) => {
    if (i >= end) return b.reject(asSpoolError(outcome.unwritten!.error));
    const why = first[i];
    if (why !== undefined && refused[i] === b.lines) return b.reject(new RejectedBatchError(why.reason, why.status));
    if (why !== undefined) onRefused(b, refused[i]!, why.reason);
    b.resolve();
  });
}

/** How the spool should treat the failure: retry after the pause InfluxDB asked for, or with backoff. */
function asSpoolError(err: Error): Error {
  if (err instanceof InfluxUnavailable && err.retryAfterMs !== undefined) return new RetryLaterError(err.message, err.retryAfterMs);
  return err;
}
