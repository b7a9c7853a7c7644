/**
 * The spool: one durable, append-only log shared by every sink, with one cursor per sink (a
 * "consumer"). It holds typed entries in order: reading batches, calibration events, gateway
 * stats (spool-record.ts). An entry is written once, whatever the number of sinks; each consumer
 * acknowledges entries one by one, in any order, and its cursor is the highest id below which
 * everything was acknowledged. Implementations: sqlite-spool.ts. Conformance suite:
 * test/unit/spool-conformance.test.ts (run it against every implementation).
 */

/**
 * What an entry holds. Only `readings` carry reading seqs; `event` and `stats` have count 0 and
 * lastSeq 0 (they never move an instrument's numbering, nor the readings depth).
 */
export type RecordKind = 'readings' | 'event' | 'stats';

/** One poll cycle of one instrument (batch-codec.ts), or one event or stats record, as stored. */
export interface SpoolInput {
  /** `readings` when left out (a poll cycle's batch). */
  kind?: RecordKind;
  instrument: string;
  /** Readings in the batch (0 for events and stats). */
  count: number;
  /** Highest reading seq in the batch: the spool remembers the highest per instrument. */
  lastSeq: number;
  payload: string;
}

export interface SpoolEntry {
  /** Increasing by 1 per appended entry, never reused (also after every entry was removed). */
  id: number;
  kind: RecordKind;
  instrument: string;
  count: number;
  /** When it was appended, ms since epoch (the gateway's clock). */
  at: number;
  payload: string;
}

export type DropReason = 'quota-bytes' | 'quota-age';

/** Batches the quota removed before this consumer acknowledged them. */
export interface Dropped {
  consumer: string;
  reason: DropReason;
  entries: readonly { id: number; kind: RecordKind; instrument: string; count: number }[];
}

export type DropListener = (dropped: Dropped) => void;

export interface ConsumerPosition {
  /** Readings stored and not yet acknowledged by this consumer. */
  depth: number;
  /** Entries (reading batches, events, stats) stored and not yet acknowledged. */
  batches: number;
  /** When the oldest unacknowledged entry was appended, ms since epoch; null when there is none. */
  oldestAt: number | null;
  /** Readings the quota dropped before this consumer took them, since the spool was created. */
  dropped: number;
  /** Every id ≤ cursor is acknowledged (or dropped). */
  cursor: number;
}

/** What the spool keeps after every consumer acknowledged it, so a range can be re-sent. */
export interface Retention {
  /** Readings stored that every consumer has acknowledged (kept for spool.retainAckedHours). */
  readings: number;
  /** When the oldest stored batch was appended, ms since epoch; null when the spool is empty. */
  oldestAt: number | null;
  /** Acknowledged readings the quota removed before their retention ended (since start). */
  evictedByQuota: number;
}

export interface Spool {
  readonly consumers: readonly string[];
  /**
   * The stream epoch: a random id made when the spool was created and stored in it. A replaced
   * spool numbers seqs from 1 again under a new epoch, so (site, gateway, instrument, epoch, seq)
   * names one reading for good.
   */
  readonly epoch: string;
  /**
   * Stores the batches in one transaction and returns the id of the first (the others follow
   * one by one). On return they are on disk (as far as the configured synchronous mode goes).
   * May drop the oldest batches to stay within the byte quota (drop listeners are told).
   */
  append(inputs: readonly SpoolInput[], at?: number): number;
  /** Up to `limit` entries (of every kind) this consumer has not acknowledged, with id > afterId, oldest first. */
  read(consumer: string, afterId: number, limit: number): SpoolEntry[];
  /**
   * The batch was handed to the consumer's destination, which may still acknowledge it: the quota
   * must not drop it (it drops the next oldest instead), or a drop would be counted for a batch
   * that arrives after all. ack() or release() ends the hold.
   */
  hold(consumer: string, id: number): void;
  /** The destination did not take it (the write failed): the quota may drop it again. */
  release(consumer: string, id: number): void;
  /** Acknowledges one batch (as read() or append() gave it: id and readings count); idempotent. */
  ack(consumer: string, entry: { id: number; count: number }): void;
  isAcked(consumer: string, id: number): boolean;
  /** The id of the newest batch ever appended (0 when none). */
  headId(): number;
  /** The highest reading seq ever appended for the instrument (0 when none). */
  lastSeq(instrument: string): number;
  position(consumer: string): ConsumerPosition;
  /**
   * Stored reading batches of the instrument holding any seq in [fromSeq, toSeq], acknowledged or not,
   * in seq order, at most `limit` (a batch's seqs are consecutive, ending at its lastSeq).
   */
  readSeqs(instrument: string, fromSeq: number, toSeq: number, limit: number): SpoolEntry[];
  retention(): Retention;
  /** Bytes of stored batches (payload bytes, the measure of the byte quota). */
  bytes(): number;
  onDrop(listener: DropListener): () => void;
  /**
   * Persists cursors, removes batches every consumer acknowledged (once older than the
   * retention) and applies the age quota.
   * The owner calls it periodically; a crash in between only means some batches are sent again.
   */
  maintain(now?: number): void;
  close(): void;
}

/** What a spool is opened with. */
export interface SpoolOptions {
  /** The spool's own directory (created if missing). */
  dir: string;
  /** Sinks that read the spool; consumers stored but not listed are removed. */
  consumers: readonly string[];
  maxBytes?: number | undefined;
  maxAgeMs?: number | undefined;
  /** Keep batches every consumer acknowledged this long (the quota still wins); default 0. */
  retainAckedMs?: number | undefined;
  synchronous?: 'normal' | 'full';
}

/** What the API reads about one sink's spool (`GET /spool`, metrics). */
export interface SpoolStats {
  sink: string;
  /** Readings waiting for this sink (stored, not acknowledged). */
  depth: number;
  /** Age of the oldest reading batch waiting for this sink, ms (0 when nothing waits). */
  oldestAgeMs: number;
  /** Readings the disk quota dropped before this sink took them (since the spool was created). */
  dropped: number;
  /** Readings the sink refused as malformed (poison; logged, not retried) since start. */
  rejected: number;
  /** Readings acknowledged by this sink since start. */
  delivered: number;
  /** Reading batches handed to the sink and not yet acknowledged. */
  inFlight: number;
  /** True while older batches are being sent from disk. */
  replaying: boolean;
  /** The sink's destination is reachable. */
  connected: boolean;
  /** The last delivery error, until the next success. */
  lastError: string | null;
  /** Bytes of the whole spool (shared by every sink) and its quota. */
  spoolBytes: number;
  maxBytes: number | null;
}
