import { InfluxRejected, InfluxUnavailable } from '../../influx/influx-writer.js';
import { postIsolating, refusesPoints, splitLines, type PostLines } from '../../influx/isolate-refused.js';
import { RejectedBatchError, RetryLaterError } from '../sink-errors.js';
import type { PendingBatch } from './batch-coalescer.js';

export type { PostLines } from '../../influx/isolate-refused.js';

/** Told when InfluxDB refused some lines of a batch and stored the rest. */
export type OnRefused = (batch: PendingBatch, refused: number, detail: string) => void;

/**
 * Writes a group of batches in one request and settles each batch by what InfluxDB answered:
 * - 204: every batch is stored;
 * - 413 (request too large): the group is written in halves, a lone batch in ever smaller parts;
 * - 400 (a line InfluxDB refuses, e.g. a field type conflict): the ingest's policy
 *   (postIsolating): halves down to the refused lines, every other line is stored. A batch with
 *   every line refused is rejected (the spool drops it, counted); a batch with some refused
 *   resolves (its other lines are stored) and onRefused is told;
 * - anything else (network, 5xx, 401, 404 ...): every batch is rejected with a plain Error, so the
 *   spool keeps it and retries after a backoff (RetryLaterError when InfluxDB sent Retry-After).
 */
export async function deliverGroup(group: PendingBatch[], post: PostLines, batchSize: number, onRefused: OnRefused = () => {}): Promise<void> {
  if (group.length === 1 && group[0]!.lines > batchSize) return deliverInParts(group[0]!, post, batchSize, onRefused);
  try {
    await post(group.map((b) => b.text));
    for (const b of group) b.resolve();
  } catch (err) {
    const status = err instanceof InfluxRejected ? err.status : 0;
    if (refusesPoints(err)) {
      await isolate(group, post, err.message, onRefused);
    } else if (status === 413 && group.length > 1) {
      const half = Math.ceil(group.length / 2);
      await deliverGroup(group.slice(0, half), post, batchSize, onRefused);
      await deliverGroup(group.slice(half), post, batchSize, onRefused);
    } else if (status === 413) {
      await deliverInParts(group[0]!, post, Math.max(1, Math.floor(group[0]!.lines / 2)), onRefused);
    } else {
      const failure = asSpoolError(err);
      for (const b of group) b.reject(failure);
    }
  }
}

/** The group's lines through postIsolating, each batch settled by how many of its lines were refused. */
async function isolate(group: PendingBatch[], post: PostLines, detail: string, onRefused: OnRefused): Promise<void> {
  const perBatch = group.map((b) => splitLines(b.text));
  let refused: number[];
  try {
    refused = await postIsolating(perBatch.flat(), post);
  } catch (err) {
    const failure = asSpoolError(err);
    for (const b of group) b.reject(failure);
    return;
  }
  let at = 0;
  let r = 0;
  group.forEach((b, i) => {
    const n = perBatch[i]!.length;
    let mine = 0;
    while (r < refused.length && refused[r]! < at + n) {
      mine++;
      r++;
    }
    at += n;
    if (mine === n) return b.reject(new RejectedBatchError(detail, 400));
    if (mine > 0) onRefused(b, mine, detail);
    b.resolve();
  });
}

/** One batch in requests of at most `size` lines, halved on 413; settled once every part is stored. */
async function deliverInParts(batch: PendingBatch, post: PostLines, size: number, onRefused: OnRefused): Promise<void> {
  const lines = splitLines(batch.text);
  let refused = 0;
  for (let at = 0; at < lines.length; ) {
    const part = lines.slice(at, at + size);
    try {
      refused += (await postIsolating(part, post)).length;
      at += part.length;
    } catch (err) {
      if (err instanceof InfluxRejected && err.status === 413 && size > 1) {
        size = Math.max(1, Math.floor(size / 2));
        continue;
      }
      return batch.reject(asSpoolError(err));
    }
  }
  if (refused === lines.length) return batch.reject(new RejectedBatchError(`InfluxDB refused all ${refused} lines`, 400));
  if (refused > 0) onRefused(batch, refused, `InfluxDB refused ${refused} of ${lines.length} lines`);
  batch.resolve();
}

/** How the spool should treat the failure: drop the batch, retry after a pause, or retry with backoff. */
function asSpoolError(err: unknown): Error {
  if (err instanceof InfluxRejected && (err.status === 400 || err.status === 413)) return new RejectedBatchError(err.message, err.status);
  if (err instanceof InfluxUnavailable && err.retryAfterMs !== undefined) return new RetryLaterError(err.message, err.retryAfterMs);
  return err instanceof Error ? err : new Error(String(err));
}
