import { InfluxRejected, InfluxUnavailable } from '../../ingest/influx-writer.js';
import { RejectedBatchError, RetryLaterError } from '../../spool/delivery-errors.js';
import type { PendingBatch } from './batch-coalescer.js';

/** Posts texts of one or more lines, joined by newlines; resolves on 204 (InfluxWriter.write's contract). */
export type PostLines = (lines: string[]) => Promise<void>;

/**
 * Writes a group of batches in one request and settles each batch by what InfluxDB answered:
 * - 204: every batch is stored;
 * - 413 (request too large): the group is written in halves, a lone batch in ever smaller parts;
 * - 400 (a point InfluxDB refuses, e.g. a field type conflict): the group is written in halves
 *   until the refused batch stands alone; it is rejected (the spool drops it, counted), its
 *   neighbours are stored. Writing a half again is harmless: InfluxDB keys a point by series and
 *   timestamp, and in a partial write it stored the good points already;
 * - anything else (network, 5xx, 401, 404 ...): every batch is rejected with a plain Error, so the
 *   spool keeps it and retries after a backoff (RetryLaterError when InfluxDB sent Retry-After).
 */
export async function deliverGroup(group: PendingBatch[], post: PostLines, batchSize: number): Promise<void> {
  if (group.length === 1 && group[0]!.lines > batchSize) return deliverInParts(group[0]!, post, batchSize);
  try {
    await post(group.map((b) => b.text));
    for (const b of group) b.resolve();
  } catch (err) {
    const status = err instanceof InfluxRejected ? err.status : 0;
    if ((status === 400 || status === 413) && group.length > 1) {
      const half = Math.ceil(group.length / 2);
      await deliverGroup(group.slice(0, half), post, batchSize);
      await deliverGroup(group.slice(half), post, batchSize);
    } else if (status === 413) {
      await deliverInParts(group[0]!, post, Math.max(1, Math.floor(group[0]!.lines / 2)));
    } else {
      const failure = asSpoolError(err);
      for (const b of group) b.reject(failure);
    }
  }
}

/** One batch in requests of at most `size` lines, halved on 413; settled once every part is stored. */
async function deliverInParts(batch: PendingBatch, post: PostLines, size: number): Promise<void> {
  const lines = batch.text.split('\n');
  for (let at = 0; at < lines.length; ) {
    const part = lines.slice(at, at + size);
    try {
      await post(part);
      at += part.length;
    } catch (err) {
      if (err instanceof InfluxRejected && err.status === 413 && size > 1) {
        size = Math.max(1, Math.floor(size / 2));
        continue;
      }
      return batch.reject(asSpoolError(err));
    }
  }
  batch.resolve();
}

/** How the spool should treat the failure: drop the batch, retry after a pause, or retry with backoff. */
function asSpoolError(err: unknown): Error {
  if (err instanceof InfluxRejected && (err.status === 400 || err.status === 413)) return new RejectedBatchError(err.message, err.status);
  if (err instanceof InfluxUnavailable && err.retryAfterMs !== undefined) return new RetryLaterError(err.message, err.retryAfterMs);
  return err instanceof Error ? err : new Error(String(err));
}
