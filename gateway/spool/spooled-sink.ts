import type { Logger } from '../log.js';
import type { Sink } from '../sinks/sink.js';
import { RetryBackoff } from '../sinks/retry-backoff.js';
import { RejectedBatchError, RetryLaterError } from '../sinks/sink-errors.js';
import { decodeRecord, recordInstrument, type SpoolRecord } from './spool-record.js';
import type { Spool, SpoolEntry, SpoolStats } from './spool.js';

export interface SpooledSinkOptions {
  spool: Spool;
  sink: Sink;
  /** Batches handed to the sink and not yet acknowledged, at most: bounds memory during a replay. */
  maxInFlight: number;
  /**
   * true: batches go out strictly oldest first, so per instrument they arrive in order; live data
   * waits until the replay has caught up. false: live batches overtake the replay (they get a
   * quarter of maxInFlight), so a dashboard stays live while an outage is replayed.
   */
  inOrder: boolean;
  log: Logger;
  onDelivered(instrument: string, readings: number): void;
  onRejected(instrument: string, readings: number): void;
}

/** Batches read from disk per query during a replay. */
const PAGE = 64;
const PROGRESS_LOG_MS = 10_000;

/**
 * What the sink makes of a record: reading batches go to write(), events to writeEvent(), stats to
 * writeStats(). null when the sink does not store that kind: the spool acknowledges it for the
 * sink at once, so its cursor moves on.
 */
export function sendRecord(sink: Sink, record: SpoolRecord): Promise<void> | null {
  if (record.kind === 'readings') return sink.write(record.batch);
  if (record.kind === 'event') return sink.writeEvent ? sink.writeEvent(record.event) : null;
  return sink.writeStats ? sink.writeStats(record.stats) : null;
}

/**
 * Feeds one sink from the spool: live entries straight from the pipeline while the sink keeps
 * up, older ones streamed from disk (oldest first, a page at a time) when it fell behind. An
 * entry (a reading batch, an event, stats) is acknowledged in the spool only when the sink's
 * write resolved; a failed write puts the reader back to it, and the sink is left alone for a
 * backoff. Entries of a kind the sink does not store are acknowledged at once.
 */
export class SpooledSink {
  readonly name: string;
  /** Every id ≤ readPos was dispatched, acknowledged or skipped by the reader. */
  private readPos = 0;
  private buffer: SpoolEntry[] = [];
  private readonly inFlight = new Map<number, number>();
  /** Writes of batches the spool could not store (disk failure). */
  private unspooled = 0;
  private started = false;
  private stopped = false;
  private detached = false;
  private pausedUntil = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new RetryBackoff();
  private failing = false;
  private lastError: string | null = null;
  private replaying = false;
  /** Id of the last batch sent from disk: the replay is caught up once none up to it is in flight. */
  private replayedTo = 0;
  private lastProgressLog = 0;
  private delivered = 0;
  private rejected = 0;

  constructor(private readonly opts: SpooledSinkOptions) {
    this.name = opts.sink.name;
  }

  get sink(): Sink {
    return this.opts.sink;
  }

  /** Starts from the consumer's cursor: what is stored above it is replayed first. */
  start(): void {
    this.readPos = this.opts.spool.position(this.name).cursor;
    this.started = true;
    this.pump();
  }

  /** A live entry, already on disk with this id. */
  offer(id: number, record: SpoolRecord, count: number): void {
    if (!this.started || this.stopped || this.isPaused()) return;
    const max = this.opts.maxInFlight;
    if (this.buffer.length === 0 && this.readPos === id - 1 && this.inFlight.size < max) {
      this.readPos = id;
      this.dispatch(id, record, count);
    } else if (!this.opts.inOrder && this.inFlight.size < max) {
      this.dispatch(id, record, count);
    } else {
      this.pump();
    }
  }

  /**
   * An entry the spool could not store (disk failure): one attempt, no retry. False when there is
   * no room for it now; the caller counts it as dropped.
   */
  sendUnspooled(record: SpoolRecord, count: number): boolean {
    if (!this.started || this.stopped || this.isPaused() || this.inFlight.size + this.unspooled >= this.opts.maxInFlight) return false;
    const sent = sendRecord(this.opts.sink, record);
    if (!sent) return true;
    const instrument = recordInstrument(record);
    this.unspooled++;
    sent.then(
      () => {
        this.unspooled--;
        this.delivered += count;
        this.opts.onDelivered(instrument, count);
      },
      (err: unknown) => {
        this.unspooled--;
        this.opts.onRejected(instrument, count);
        this.opts.log.error(
          { sink: this.name, kind: record.kind, instrument, readings: count, err: err instanceof Error ? err.message : String(err) },
          'sink did not take an entry the spool could not store: dropped',
        );
      },
    );
    return true;
  }

  /** Nothing stored for this sink is unacknowledged. */
  idle(): boolean {
    return this.inFlight.size === 0 && this.unspooled === 0 && this.opts.spool.position(this.name).batches === 0;
  }

  stats(maxBytes: number | undefined): SpoolStats {
    const pos = this.opts.spool.position(this.name);
    return {
      sink: this.name,
      depth: pos.depth,
      oldestAgeMs: pos.oldestAt === null ? 0 : Math.max(0, Date.now() - pos.oldestAt),
      dropped: pos.dropped,
      rejected: this.rejected,
      delivered: this.delivered,
      inFlight: this.inFlight.size,
      replaying: this.replaying,
      connected: this.opts.sink.connected(),
      lastError: this.lastError,
      spoolBytes: this.opts.spool.bytes(),
      maxBytes: maxBytes ?? null,
    };
  }

  /** Stops dispatching; writes in flight settle on their own (or when the sink stops). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /**
   * The spool is about to close: an acknowledgement that still comes is ignored, so that batch is
   * sent again on the next start (at least once).
   */
  detach(): void {
    this.stop();
    this.detached = true;
  }

  /** Sends from disk while there is room: the replay keeps a quarter of the room for live data. */
  pump(): void {
    if (!this.started || this.stopped || this.isPaused()) return;
    const { spool, maxInFlight, inOrder } = this.opts;
    const room = inOrder ? maxInFlight : Math.max(1, Math.floor((maxInFlight * 3) / 4));
    while (this.inFlight.size < room) {
      if (this.buffer.length === 0) {
        this.buffer = this.readPos < spool.headId() ? spool.read(this.name, this.readPos, PAGE) : [];
        if (this.buffer.length === 0) {
          this.readPos = Math.max(this.readPos, spool.headId());
          // Everything read is sent, not yet taken: caught up only once the sink acknowledged it.
          if (!this.replayInFlight()) this.setReplaying(false);
          return;
        }
        this.setReplaying(true);
      }
      const e = this.buffer.shift()!;
      this.readPos = e.id;
      if (this.inFlight.has(e.id) || spool.isAcked(this.name, e.id)) continue;
      let record: SpoolRecord;
      try {
        record = decodeRecord(e.kind, e.payload);
        if (record.kind === 'readings') record.batch.epoch = this.opts.spool.epoch;
      } catch (err) {
        this.reject(e.id, e.instrument, e.count, `unreadable spool entry ${e.id} (${e.kind}): ${(err as Error).message}`);
        continue;
      }
      this.replayedTo = e.id;
      this.dispatch(e.id, record, e.count);
    }
  }

  private dispatch(id: number, record: SpoolRecord, count: number): void {
    const sent = sendRecord(this.opts.sink, record);
    // Not a kind this sink stores: taken at once, so the cursor moves over it.
    if (!sent) return void this.opts.spool.ack(this.name, { id, count });
    const instrument = recordInstrument(record);
    this.inFlight.set(id, count);
    this.opts.spool.hold(this.name, id);
    sent.then(
      () => this.acknowledged(id, instrument, count),
      (err: unknown) => this.failed(id, instrument, count, err),
    );
  }

  private acknowledged(id: number, instrument: string, count: number): void {
    this.inFlight.delete(id);
    if (this.detached) return;
    this.opts.spool.ack(this.name, { id, count });
    this.delivered += count;
    if (count > 0) this.opts.onDelivered(instrument, count);
    if (this.failing) {
      this.failing = false;
      this.lastError = null;
      this.backoff.reset();
      this.opts.log.info(
        { sink: this.name, waiting: this.opts.spool.position(this.name).depth },
        'sink takes readings again; sending what waited in the spool',
      );
    }
    this.progress();
    this.pump();
  }

  private failed(id: number, instrument: string, count: number, err: unknown): void {
    this.inFlight.delete(id);
    if (this.detached) return;
    this.opts.spool.release(this.name, id);
    if (err instanceof RejectedBatchError) {
      this.reject(id, instrument, count, err.message);
      this.pump();
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = message;
    // Read again from the failed batch on; what was acknowledged meanwhile is skipped.
    this.readPos = Math.min(this.readPos, id - 1);
    this.buffer = [];
    if (!this.failing) {
      this.failing = true;
      this.opts.log.warn(
        { sink: this.name, err: message, waiting: this.opts.spool.position(this.name).depth },
        'sink did not take readings; they wait in the spool',
      );
    }
    // The other writes of the same window fail with it: one backoff step per retry round.
    if (this.retryTimer && !(err instanceof RetryLaterError)) return;
    const wait = this.backoff.next(err instanceof RetryLaterError ? err.retryAfterMs : undefined);
    this.pausedUntil = Date.now() + wait;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, wait);
  }

  private reject(id: number, instrument: string, count: number, reason: string): void {
    this.opts.spool.ack(this.name, { id, count });
    this.rejected += count;
    if (count > 0) this.opts.onRejected(instrument, count);
    this.opts.log.error({ sink: this.name, id, instrument, readings: count, err: reason }, 'sink refused a batch as malformed: dropped, not retried');
  }

  private replayInFlight(): boolean {
    for (const id of this.inFlight.keys()) if (id <= this.replayedTo) return true;
    return false;
  }

  private isPaused(): boolean {
    return this.retryTimer !== null && Date.now() < this.pausedUntil;
  }

  private setReplaying(on: boolean): void {
    if (on === this.replaying) return;
    this.replaying = on;
    const pos = this.opts.spool.position(this.name);
    if (on)
      this.opts.log.info({ sink: this.name, waiting: pos.depth, oldestAgeMs: pos.oldestAt === null ? 0 : Date.now() - pos.oldestAt }, 'replaying the spool');
    else this.opts.log.info({ sink: this.name }, 'spool replay caught up');
    this.lastProgressLog = Date.now();
  }

  private progress(): void {
    if (!this.replaying || Date.now() - this.lastProgressLog < PROGRESS_LOG_MS) return;
    this.lastProgressLog = Date.now();
    this.opts.log.info({ sink: this.name, waiting: this.opts.spool.position(this.name).depth }, 'replaying the spool');
  }
}
