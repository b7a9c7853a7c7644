import type Database from 'better-sqlite3';
import { AckedRanges } from './acked-ranges.js';
import { QuotaKeeper } from './quota.js';
import { deleteVictims, lastAppendedBefore, pickVictims } from './quota-victims.js';
import { KIND_CODE, openSpoolDatabase, prepareStatements, storedEpoch, type SpoolStatements, type Victim } from './sqlite-schema.js';
import type { ConsumerPosition, DropListener, DropReason, Dropped, Retention, Spool, SpoolEntry, SpoolInput, SpoolOptions } from './spool.js';

export { SPOOL_FILE, SpoolLockedError } from './sqlite-schema.js';

/** More readings than any one batch holds: bounds the index scan of readSeqs(). */
const MAX_BATCH_READINGS = 65_536;

interface ConsumerState {
  acked: AckedRanges;
  /** Cursor and drop count as last written to disk. */
  savedCursor: number;
  dropped: number;
  savedDropped: number;
  /** Readings and batches above the cursor not yet acknowledged. */
  depth: number;
  batches: number;
  /** Handed to the destination, not yet acknowledged: the quota leaves these alone. */
  held: Set<number>;
}

/**
 * The spool as one SQLite database in WAL mode (gateway/spool/README.md says why SQLite).
 * Opened with an exclusive lock: a second gateway on the same directory is refused at start, and
 * the kernel releases the lock when the process dies, even by SIGKILL.
 */
export class SqliteSpool implements Spool {
  readonly consumers: readonly string[];
  readonly epoch: string;
  private readonly db: Database.Database;
  private readonly retainAckedMs: number;
  /** Readings in batches at or below every cursor (acknowledged everywhere, kept for retention). */
  private retainedReadings = 0;
  private retainedUpTo = 0;
  private evictedByQuota = 0;
  private readonly state = new Map<string, ConsumerState>();
  private readonly seqs = new Map<string, number>();
  private readonly dirtySeqs = new Set<string>();
  private readonly listeners = new Set<DropListener>();
  private readonly quota: QuotaKeeper;
  private pendingDrops: Dropped[] = [];
  private head = 0;
  private savedHead = -1;
  private readonly sql: SpoolStatements;
  private readonly appendTx: (inputs: readonly SpoolInput[], at: number) => number;
  private readonly maintainTx: (now: number) => void;

  constructor(opts: SpoolOptions) {
    this.db = openSpoolDatabase(opts.dir, opts.synchronous);
    this.sql = prepareStatements(this.db);
    this.consumers = [...opts.consumers];
    this.retainAckedMs = opts.retainAckedMs ?? 0;
    this.epoch = storedEpoch(this.sql);
    this.appendTx = this.db.transaction((inputs: readonly SpoolInput[], at: number) => this.insert(inputs, at));
    this.maintainTx = this.db.transaction((now: number) => this.maintainInTx(now));

    const stored = new Map(this.sql.consumers.all().map((c) => [c.name, c]));
    // Ids come from us rather than AUTOINCREMENT (one page write less per commit); they must
    // never fall below a cursor, also once every entry was removed.
    this.head = Math.max(this.sql.maxId.get() ?? 0, this.sql.meta.get('head') ?? 0, ...[...stored.values()].map((c) => c.cursor));
    for (const name of this.consumers) {
      // A new consumer starts at the head: it takes what comes from now on, not the history.
      const c = stored.get(name) ?? { name, cursor: this.head, dropped: 0 };
      const depth = this.sql.depth.get(c.cursor) ?? { n: 0, batches: 0 };
      this.state.set(name, {
        acked: new AckedRanges(c.cursor),
        savedCursor: stored.has(name) ? c.cursor : -1,
        dropped: c.dropped,
        savedDropped: c.dropped,
        depth: depth.n,
        batches: depth.batches,
        held: new Set(),
      });
    }
    for (const name of stored.keys()) if (!this.consumers.includes(name)) this.sql.deleteConsumer.run(name);
    for (const { instrument, seq } of this.sql.seqs.all()) this.seqs.set(instrument, seq);
    for (const { instrument, seq } of this.sql.seqsAfter.all(this.sql.meta.get('seqs_upto') ?? 0)) this.noteSeq(instrument, seq);
    this.quota = new QuotaKeeper(opts.maxBytes, opts.maxAgeMs, this.sql.sizeUpTo.get(Number.MAX_SAFE_INTEGER)?.size ?? 0);
    this.retainedUpTo = this.minCursor();
    this.retainedReadings = this.sql.readingsIn.get(0, this.retainedUpTo) ?? 0;
    this.maintain();
  }

  append(inputs: readonly SpoolInput[], at = Date.now()): number {
    if (inputs.length === 0) return this.head + 1;
    const first = this.committed(() => this.appendTx(inputs, at));
    return first;
  }

  private insert(inputs: readonly SpoolInput[], at: number): number {
    const first = this.head + 1;
    let id = this.head;
    let readings = 0;
    let bytes = 0;
    for (const input of inputs) {
      const size = Buffer.byteLength(input.payload);
      this.sql.insert.run(++id, input.instrument, at, input.count, input.lastSeq, size, input.payload, KIND_CODE[input.kind ?? 'readings']);
      readings += input.count;
      bytes += size;
    }
    // Memory follows only once every row is in (a failed insert rolls the transaction back).
    this.head = id;
    this.quota.added(bytes);
    for (const input of inputs) this.noteSeq(input.instrument, input.lastSeq);
    for (const s of this.state.values()) {
      s.depth += readings;
      s.batches += inputs.length;
    }
    if (this.quota.overBytes()) this.dropOldest('quota-bytes', () => this.quota.overBytes());
    return first;
  }

  read(consumer: string, afterId: number, limit: number): SpoolEntry[] {
    const acked = this.consumer(consumer).acked;
    const out: SpoolEntry[] = [];
    let from = acked.nextUnacked(afterId + 1);
    while (out.length < limit && from <= this.head) {
      // Read up to the next acknowledged range, then jump over it without reading its rows.
      const to = Math.min(acked.nextAckedAbove(from), this.head + 1);
      for (const row of this.sql.read.all(from, to, limit - out.length)) out.push(row);
      from = acked.nextUnacked(to);
    }
    return out;
  }

  hold(consumer: string, id: number): void {
    this.consumer(consumer).held.add(id);
  }

  release(consumer: string, id: number): void {
    this.consumer(consumer).held.delete(id);
  }

  ack(consumer: string, entry: { id: number; count: number }): void {
    const s = this.consumer(consumer);
    s.held.delete(entry.id);
    if (entry.id > this.head || !s.acked.add(entry.id)) return;
    s.depth -= entry.count;
    s.batches -= 1;
  }

  isAcked(consumer: string, id: number): boolean {
    return this.consumer(consumer).acked.has(id);
  }

  headId(): number {
    return this.head;
  }

  lastSeq(instrument: string): number {
    return this.seqs.get(instrument) ?? 0;
  }

  position(consumer: string): ConsumerPosition {
    const s = this.consumer(consumer);
    const oldest = s.batches > 0 ? this.sql.firstAt.get(s.acked.nextUnacked(s.acked.cursor + 1)) : undefined;
    return { depth: s.depth, batches: s.batches, oldestAt: oldest ?? null, dropped: s.dropped, cursor: s.acked.cursor };
  }

  bytes(): number {
    return this.quota.bytes;
  }

  readSeqs(instrument: string, fromSeq: number, toSeq: number, limit: number): SpoolEntry[] {
    if (toSeq < fromSeq || limit <= 0) return [];
    return this.sql.bySeq.all(instrument, fromSeq, toSeq + MAX_BATCH_READINGS, toSeq + 1, limit).filter((e) => e.count > 0);
  }

  retention(): Retention {
    return { readings: this.retainedReadings, oldestAt: this.sql.firstAt.get(0) ?? null, evictedByQuota: this.evictedByQuota };
  }

  onDrop(listener: DropListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  maintain(now = Date.now()): void {
    this.committed(() => this.maintainTx(now));
  }

  close(): void {
    if (!this.db.open) return;
    this.maintain();
    this.db.close();
  }

  private maintainInTx(now: number): void {
    if (this.quota.maxAgeMs !== undefined) {
      const cutoff = now - this.quota.maxAgeMs;
      this.dropOldest('quota-age', (e) => e.at < cutoff);
    }
    for (const instrument of this.dirtySeqs) this.sql.upsertSeq.run(instrument, this.seqs.get(instrument)!);
    this.dirtySeqs.clear();
    if (this.head !== this.savedHead) {
      this.sql.setMeta.run('seqs_upto', this.head);
      this.sql.setMeta.run('head', this.head);
      this.savedHead = this.head;
    }
    for (const [name, s] of this.state) this.saveConsumer(name, s);
    const min = this.minCursor();
    if (min > this.retainedUpTo) {
      this.retainedReadings += this.sql.readingsIn.get(this.retainedUpTo, min) ?? 0;
      this.retainedUpTo = min;
    }
    // Every consumer is past these: delivered everywhere, so removed without counting a drop,
    // once the retention window (kept for re-sending a range found missing downstream) is over.
    const upTo = this.retainAckedMs > 0 ? lastAppendedBefore(this.sql, now - this.retainAckedMs, min) : min;
    if (this.quota.bytes > 0 && upTo > 0) {
      const gone = this.sql.sizeUpTo.get(upTo);
      if (gone && gone.batches > 0) {
        this.retainedReadings -= this.sql.readingsIn.get(0, upTo) ?? 0;
        this.sql.deleteUpTo.run(upTo);
        this.quota.removed(gone.size);
      }
    }
  }

  private minCursor(): number {
    let min = this.head;
    for (const s of this.state.values()) min = Math.min(min, s.acked.cursor);
    return min;
  }

  /**
   * Removes the oldest batches while `more` says so, except those a consumer holds (in flight);
   * counts, per consumer, what it had not taken, and marks it taken (it is gone for good).
   */
  private dropOldest(reason: DropReason, more: (e: Victim) => boolean): void {
    const held = new Set<number>();
    for (const s of this.state.values()) for (const id of s.held) held.add(id);
    const victims = pickVictims(this.sql, held, more, (size) => this.quota.removed(size));
    if (victims.length === 0) return;
    for (const v of victims) {
      if (v.id > this.retainedUpTo) continue;
      // Acknowledged everywhere, kept for re-sending: the quota ended its retention early.
      this.evictedByQuota += v.count;
      this.retainedReadings -= v.count;
    }
    deleteVictims(this.sql, victims);
    for (const [name, s] of this.state) {
      const lost = victims.filter((v) => s.acked.add(v.id));
      for (const v of lost) {
        s.depth -= v.count;
        s.batches -= 1;
        s.dropped += v.count;
      }
      this.saveConsumer(name, s);
      if (lost.length > 0)
        this.pendingDrops.push({ consumer: name, reason, entries: lost.map(({ id, kind, instrument, count }) => ({ id, kind, instrument, count })) });
    }
  }

  private saveConsumer(name: string, s: ConsumerState): void {
    if (s.acked.cursor === s.savedCursor && s.dropped === s.savedDropped) return;
    this.sql.upsertConsumer.run(name, s.acked.cursor, s.dropped);
    s.savedCursor = s.acked.cursor;
    s.savedDropped = s.dropped;
  }

  /** Listeners hear of a drop once its transaction committed, never of one rolled back. */
  private committed<T>(tx: () => T): T {
    let result: T;
    try {
      result = tx();
    } catch (err) {
      this.pendingDrops = [];
      throw err;
    }
    const drops = this.pendingDrops;
    this.pendingDrops = [];
    for (const d of drops) for (const l of this.listeners) l(d);
    return result;
  }

  private noteSeq(instrument: string, seq: number): void {
    if (seq > (this.seqs.get(instrument) ?? 0)) {
      this.seqs.set(instrument, seq);
      this.dirtySeqs.add(instrument);
    }
  }

  private consumer(name: string): ConsumerState {
    const s = this.state.get(name);
    if (!s) throw new Error(`the spool has no consumer "${name}" (it has: ${this.consumers.join(', ')})`);
    return s;
  }
}
