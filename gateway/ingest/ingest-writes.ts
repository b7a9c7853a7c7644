import type { InfluxConfig } from '../../config/schema.js';
import type { InfluxSession } from '../influx/influx-session.js';
import { retryAfterOf, type RefusedLine, type WritePolicy } from '../influx/write-policy.js';
import type { Logger } from '../log.js';
import { RetryBackoff } from '../sinks/retry-backoff.js';

/** What the ingest's writes count (part of IngestStats). */
export interface WriteCounts {
  points: number;
  writes: number;
  writeErrors: number;
  rejectedPoints: number;
}

export interface IngestWritesOptions {
  session: InfluxSession;
  influx: InfluxConfig;
  log: Logger;
  counts: WriteCounts;
  /** How many unacknowledged messages may wait for a write at once (MQTT 5 Receive Maximum). */
  maxMessages: number;
  /** The messages' points are stored (or refused on their own): their PUBACKs may go. */
  release(messageIds: number[]): void;
}

/** With the broker's window full, no more messages come: write what we have after this pause. */
const IDLE_FLUSH_MS = 10;

/**
 * The ingest's lines on their way to InfluxDB: gathered into writes of up to batchSize lines
 * (sooner when the broker's window is full or the stream pauses), retried by the shared policy
 * with RetryBackoff (and InfluxDB's Retry-After) until stored. A message's PUBACK is released
 * only once every line of the write holding it is stored, so at-least-once holds across a crash.
 */
export class IngestWrites {
  /** Rendered lines not yet handed to a write; the ingest renders into it. */
  pending: string[] = [];
  private messageIds: number[] = [];
  /** Writes under way; InfluxDB stores by series and timestamp, so their order does not matter. */
  private readonly writing = new Set<Promise<void>>();
  private idleTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new RetryBackoff();
  private readonly policy: WritePolicy;
  /** Retry pauses under way, ended early when the ingest gives up. */
  private readonly pauses = new Set<() => void>();
  private givenUp = false;

  constructor(private readonly o: IngestWritesOptions) {
    this.policy = {
      maxLines: o.influx.batchSize,
      retry: (err) => this.pauseBeforeRetry(err),
      tooLarge: (lines) => o.log.warn({ points: lines }, 'InfluxDB: request too large; writing it in smaller parts'),
    };
  }

  /** A message's lines were added to `pending`: hold its PUBACK (messageId) until they are stored. */
  added(messageId: number | undefined): void {
    if (messageId !== undefined) this.messageIds.push(messageId);
    const full = this.pending.length >= this.o.influx.batchSize || this.messageIds.length >= this.o.maxMessages;
    if (full) return this.flush();
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.flush(), IDLE_FLUSH_MS);
    this.maxTimer ??= setTimeout(() => this.flush(), this.o.influx.flushIntervalMs);
  }

  /**
   * Writes what is pending and waits for every write, for at most graceMs of a down InfluxDB;
   * then gives up: what is unwritten stays unacknowledged at the broker and goes to the next
   * ingester, so giving up loses nothing.
   */
  async drain(graceMs: number): Promise<void> {
    const grace = setTimeout(() => this.giveUp(), graceMs);
    do {
      this.flush();
      await Promise.all(this.writing);
    } while (this.pending.length > 0 && !this.givenUp);
    clearTimeout(grace);
    this.giveUp();
  }

  private flush(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.idleTimer = this.maxTimer = null;
    if (this.writing.size >= this.o.influx.writeConcurrency || this.pending.length === 0) return;
    const lines = this.pending;
    const ids = this.messageIds;
    this.pending = [];
    this.messageIds = [];
    const write: Promise<void> = this.writeUntilStored(lines, ids).finally(() => {
      this.writing.delete(write);
      if (this.pending.length > 0) this.added(undefined);
    });
    this.writing.add(write);
  }

  /** Retries until InfluxDB takes the lines (in parts of batchSize lines): nothing is acknowledged before that. */
  private async writeUntilStored(lines: string[], ids: number[]): Promise<void> {
    const outcome = await this.o.session.write(lines, this.policy);
    if (outcome.unwritten) return;
    this.backoff.reset();
    this.o.counts.writes += outcome.stored;
    this.o.counts.points += lines.length - outcome.refused.length;
    if (outcome.refused.length > 0) this.noteRefused(lines.length, outcome.refused);
    this.o.release(ids);
  }

  private async pauseBeforeRetry(err: Error): Promise<boolean> {
    this.o.counts.writeErrors++;
    if (this.givenUp) return false;
    const retryInMs = this.backoff.next(retryAfterOf(err));
    this.o.log.warn({ err: err.message, retryInMs }, 'InfluxDB write failed; retrying');
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, retryInMs);
      this.pauses.add(done);
    });
    return true;
  }

  private giveUp(): void {
    this.givenUp = true;
    for (const end of [...this.pauses]) end();
  }

  private noteRefused(of: number, refused: RefusedLine[]): void {
    this.o.counts.rejectedPoints += refused.length;
    this.o.log.error(
      { points: refused.length, of, line: refused[0]!.line.slice(0, 300), err: refused[0]!.reason },
      'InfluxDB refused points on their own; they are dropped, the rest of the request is stored',
    );
  }
}
