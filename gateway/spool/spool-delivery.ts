import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { CalEvent } from '../calibration/cal-event.js';
import type { ReadingBatch } from '../reading.js';
import type { GatewayStats, Sink } from '../sinks/sink.js';
import { decodeBatch } from './batch-codec.js';
import { encodeRecord, recordInstrument, type SpoolRecord } from './spool-record.js';
import type { SpoolConfig } from './spool-config.js';
import type { Dropped, Retention, Spool, SpoolInput, SpoolStats } from './spool.js';
import { SpooledSink } from './spooled-sink.js';
import { SqliteSpool } from './sqlite-spool.js';

/** A sink and how it wants to be fed. */
export interface DeliveryTarget {
  sink: Sink;
  /** Batches in flight at most (memory bound during a replay). */
  maxInFlight: number;
  /** Strictly oldest first (the cloud platform) or live first (the edge broker's dashboards). */
  inOrder: boolean;
}

export interface DeliveryHooks {
  delivered(sink: string, instrument: string, readings: number): void;
  /** Dropped by the quota, refused as malformed, or not stored because the disk failed. */
  dropped(sink: string, instrument: string, readings: number): void;
}

export interface SpoolDeliveryOptions {
  config: SpoolConfig;
  site: string;
  targets: readonly DeliveryTarget[];
  log: Logger;
  hooks: DeliveryHooks;
}

/** Cursors are persisted and fully delivered batches removed this often. */
const MAINTAIN_MS = 250;
/** How long stop() waits for each sink to close its connection. */
const SINK_STOP_MS = 5000;

/**
 * Every reading batch, calibration event and stats record goes to disk first, then to each sink
 * through its SpooledSink; the spool (one file per site under spool.dir) holds what a sink has not
 * acknowledged across outages and restarts, in the order it came. With commitIntervalMs > 0,
 * entries of that window share one transaction.
 */
export class SpoolDelivery {
  private spool: Spool | null = null;
  private readonly sinks: SpooledSink[] = [];
  private pending: { record: SpoolRecord; input: SpoolInput }[] = [];
  private commitTimer: NodeJS.Timeout | null = null;
  private commitSoon: NodeJS.Immediate | null = null;
  private maintainTimer: NodeJS.Timeout | null = null;
  private appendFailed = false;

  constructor(private readonly opts: SpoolDeliveryOptions) {}

  get dir(): string {
    return join(this.opts.config.dir, this.opts.site);
  }

  /** Opens the spool (synchronous I/O); throws with the path when it cannot. */
  open(): void {
    const { config, targets, log, hooks } = this.opts;
    const spool = new SqliteSpool({
      dir: this.dir,
      consumers: targets.map((t) => t.sink.name),
      maxBytes: config.maxBytes,
      maxAgeMs: config.maxAgeHours === undefined ? undefined : config.maxAgeHours * 3_600_000,
      retainAckedMs: (config.retainAckedHours ?? 0) * 3_600_000,
      synchronous: config.synchronous,
    });
    this.spool = spool;
    spool.onDrop((d) => this.onDrop(d));
    for (const t of targets) {
      this.sinks.push(
        new SpooledSink({
          spool,
          sink: t.sink,
          maxInFlight: t.maxInFlight,
          inOrder: t.inOrder,
          log,
          onDelivered: (instrument, n) => hooks.delivered(t.sink.name, instrument, n),
          onRejected: (instrument, n) => hooks.dropped(t.sink.name, instrument, n),
        }),
      );
    }
    const waiting = this.sinks.map((s) => ({ sink: s.name, readings: spool.position(s.name).depth })).filter((w) => w.readings > 0);
    log.info({ dir: this.dir, bytes: spool.bytes(), waiting }, 'spool opened');
  }

  /** The spool's stream epoch (undefined before open()). */
  get epoch(): string | undefined {
    return this.spool?.epoch;
  }

  /** The highest reading seq stored for the instrument by earlier runs (0 when none). */
  lastSeq(instrument: string): number {
    return this.spool?.lastSeq(instrument) ?? 0;
  }

  /**
   * Stored batches holding seqs from..to of the instrument, acknowledged or not, decoded with the
   * spool's epoch (for a gap found downstream); an unreadable entry is logged and left out.
   */
  readSeqs(instrument: string, from: number, to: number, limit: number): ReadingBatch[] {
    const spool = this.spool;
    if (!spool) return [];
    return spool.readSeqs(instrument, from, to, limit).flatMap((e) => {
      try {
        const batch = decodeBatch(e.payload);
        batch.epoch = spool.epoch;
        return [batch];
      } catch (err) {
        this.opts.log.error({ dir: this.dir, id: e.id, err: (err as Error).message }, 'unreadable spool entry cannot be re-sent');
        return [];
      }
    });
  }

  retention(): Retention | null {
    return this.spool?.retention() ?? null;
  }

  /** Starts the sinks (connecting) and their replay of what the spool holds. */
  async start(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.sink.start()));
    for (const s of this.sinks) s.start();
    this.maintainTimer = setInterval(() => this.maintain(), MAINTAIN_MS);
    this.maintainTimer.unref();
  }

  /** Stores the batch, then offers it to every sink. */
  accept(batch: ReadingBatch): void {
    if (batch.readings.length > 0) this.enqueue({ kind: 'readings', batch });
  }

  /** Stores a calibration event in order with the readings, then offers it to every sink. */
  acceptEvent(event: CalEvent): void {
    this.enqueue({ kind: 'event', event });
  }

  /** Stores the gateway's stats, then offers them to every sink. */
  acceptStats(stats: GatewayStats): void {
    this.enqueue({ kind: 'stats', stats });
  }

  private enqueue(record: SpoolRecord): void {
    this.pending.push({ record, input: encodeRecord(record) });
    // Poll cycles that completed in the same turn of the event loop share one transaction, and
    // their publishes one socket write (mqtt-packet corks until the next tick): each costs a
    // syscall and, for SQLite, a WAL frame header and checksum pass.
    if (this.opts.config.commitIntervalMs === 0) this.commitSoon ??= setImmediate(() => this.commit());
    else this.commitTimer ??= setTimeout(() => this.commit(), this.opts.config.commitIntervalMs);
  }

  /** Waits until every sink has taken everything stored, at most timeoutMs; true when it did. */
  async drain(timeoutMs = this.opts.config.drainTimeoutMs): Promise<boolean> {
    this.commit();
    const deadline = Date.now() + timeoutMs;
    while (!this.sinks.every((s) => s.idle())) {
      if (Date.now() >= deadline) {
        const waiting = this.stats()
          .filter((s) => s.depth > 0)
          .map((s) => ({ sink: s.sink, readings: s.depth }));
        this.opts.log.warn({ waiting, dir: this.dir }, 'stopping with readings in the spool: they are sent on the next start');
        return false;
      }
      await sleep(20);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.commit();
    for (const s of this.sinks) s.stop();
    if (this.maintainTimer) clearInterval(this.maintainTimer);
    this.maintainTimer = null;
    // A sink that cannot say goodbye (its destination is down) must not keep the spool open:
    // what it did not acknowledge is on disk for the next start.
    await Promise.all(
      this.sinks.map(async (s) => {
        const stopped = await Promise.race([
          s.sink.stop().then(
            () => true,
            () => true,
          ),
          sleep(SINK_STOP_MS, false),
        ]);
        if (!stopped) this.opts.log.warn({ sink: s.name, waitedMs: SINK_STOP_MS }, 'sink did not stop in time; closing the spool anyway');
      }),
    );
    for (const s of this.sinks) s.detach();
    this.spool?.close();
    this.spool = null;
  }

  stats(): SpoolStats[] {
    return this.spool ? this.sinks.map((s) => s.stats(this.opts.config.maxBytes)) : [];
  }

  private commit(): void {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
    if (this.commitSoon) clearImmediate(this.commitSoon);
    this.commitSoon = null;
    const spool = this.spool;
    if (this.pending.length === 0 || !spool) return;
    const entries = this.pending;
    this.pending = [];
    let first: number;
    try {
      first = spool.append(entries.map((b) => b.input));
      if (this.appendFailed) this.opts.log.info({ dir: this.dir }, 'spool writes again');
      this.appendFailed = false;
    } catch (err) {
      this.notStored(entries, err as Error);
      return;
    }
    entries.forEach((b, i) => {
      for (const s of this.sinks) s.offer(first + i, b.record, b.input.count);
    });
  }

  /**
   * The disk failed (full, read-only, I/O error): the entries still go to sinks that are up,
   * without a second chance; what a sink cannot take now is dropped, counted and logged.
   */
  private notStored(entries: { record: SpoolRecord; input: SpoolInput }[], err: Error): void {
    if (!this.appendFailed) this.opts.log.error({ dir: this.dir, err: err.message }, 'spool cannot store readings: sending them without a spool until it can');
    this.appendFailed = true;
    for (const { record, input } of entries) {
      for (const s of this.sinks) {
        if (s.sendUnspooled(record, input.count)) continue;
        if (input.count > 0) this.opts.hooks.dropped(s.name, recordInstrument(record), input.count);
        else this.opts.log.error({ sink: s.name, kind: record.kind, instrument: input.instrument }, 'a record the spool could not store was not sent: dropped');
      }
    }
  }

  private maintain(): void {
    try {
      this.spool?.maintain();
    } catch (err) {
      this.opts.log.error({ dir: this.dir, err: (err as Error).message }, 'spool maintenance failed');
    }
    for (const s of this.sinks) s.pump();
  }

  private onDrop(d: Dropped): void {
    const readings = d.entries.reduce((n, e) => n + e.count, 0);
    const byInstrument = new Map<string, number>();
    for (const e of d.entries) if (e.kind === 'readings') byInstrument.set(e.instrument, (byInstrument.get(e.instrument) ?? 0) + e.count);
    for (const [instrument, n] of byInstrument) this.opts.hooks.dropped(d.consumer, instrument, n);
    const events = d.entries.filter((e) => e.kind === 'event').length;
    const stats = d.entries.filter((e) => e.kind === 'stats').length;
    this.opts.log.warn(
      {
        sink: d.consumer,
        reason: d.reason,
        readings,
        events,
        stats,
        batches: d.entries.length,
        firstId: d.entries[0]?.id,
        lastId: d.entries.at(-1)?.id,
        maxBytes: this.opts.config.maxBytes,
        maxAgeHours: this.opts.config.maxAgeHours,
      },
      'spool quota reached: oldest readings dropped',
    );
  }
}
