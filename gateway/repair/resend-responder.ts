import type { Logger } from '../log.js';
import type { ReadingBatch } from '../reading.js';
import type { ResendRequest, ResendResult } from './repair-messages.js';

/** Where re-sent batches come from: the spool, acknowledged batches included (spool.retainAckedHours). */
export interface ResendSource {
  readonly epoch: string | undefined;
  /** Stored batches holding any seq in [from, to], decoded, in seq order, at most `limit`. */
  readSeqs(instrument: string, from: number, to: number, limit: number): ReadingBatch[];
}

export interface ResendResponderOptions {
  site: string;
  gateway: string;
  source: ResendSource;
  /** Publishes one batch on its data topic; resolves on the broker's acknowledgement. */
  publish(batch: ReadingBatch): Promise<void>;
  /** Tells the requesters what became of a request. */
  answer(result: ResendResult): void;
  log: Logger;
  /** Readings one request re-sends at most; the rest of a larger range is asked for again. */
  maxRangeReadings?: number;
  /** The same range asked again within this window is served once (both ingesters may ask). */
  dedupeMs?: number;
}

export interface ResendStats {
  requests: number;
  refused: number;
  resentReadings: number;
  /** Readings asked for that the spool no longer holds. */
  unavailableReadings: number;
}

const PAGE = 64;
const MAX_QUEUED = 64;

/**
 * The gateway's side of gap repair: serves `control/resend` requests one at a time from the spool,
 * publishing the batches again on their data topics (the ingest stores a reading once whatever the
 * number of copies: InfluxDB keys it by series and timestamp). Bounded (maxRangeReadings per request,
 * a short queue), rate limited (one request at a time, through the sink's in-flight window) and
 * idempotent (a range served within dedupeMs is not served again).
 */
export class ResendResponder {
  readonly stats: ResendStats = { requests: 0, refused: 0, resentReadings: 0, unavailableReadings: 0 };
  private readonly queue: ResendRequest[] = [];
  private readonly recent = new Map<string, number>();
  private running = false;

  constructor(private readonly opts: ResendResponderOptions) {}

  handle(req: ResendRequest): void {
    this.stats.requests++;
    const now = Date.now();
    const dedupeMs = this.opts.dedupeMs ?? 5000;
    for (const [k, at] of this.recent) if (now - at > dedupeMs) this.recent.delete(k);
    const key = `${req.instrument}/${req.epoch}/${req.from}/${req.to}`;
    if (req.epoch !== this.opts.source.epoch) return this.refuse(req, `epoch ${req.epoch} is not this spool's (${String(this.opts.source.epoch)})`);
    if (this.recent.has(key)) return this.refuse(req, 'duplicate: this range was just re-sent');
    if (this.queue.length >= MAX_QUEUED) return this.refuse(req, 'busy: too many resend requests queued');
    this.recent.set(key, now);
    this.queue.push(req);
    if (!this.running) void this.drain();
  }

  private refuse(req: ResendRequest, refused: string): void {
    this.stats.refused++;
    this.opts.log.info({ instrument: req.instrument, from: req.from, to: req.to, requestId: req.requestId, refused }, 'resend request not served');
    this.opts.answer({ ...this.resultOf(req, req.to), resent: 0, unavailable: [], refused });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let req = this.queue.shift(); req; req = this.queue.shift()) await this.serve(req);
    } finally {
      this.running = false;
    }
  }

  private async serve(req: ResendRequest): Promise<void> {
    const { source, log } = this.opts;
    const to = Math.min(req.to, req.from + (this.opts.maxRangeReadings ?? 10_000) - 1);
    const covered: [number, number][] = [];
    let resent = 0;
    try {
      for (let next = req.from; next <= to; ) {
        const batches = source.readSeqs(req.instrument, next, to, PAGE);
        if (batches.length === 0) break;
        await Promise.all(batches.map((b) => this.opts.publish(b)));
        for (const b of batches) {
          const seqs = b.readings.map((r) => r.seq);
          covered.push([Math.min(...seqs), Math.max(...seqs)]);
          resent += b.readings.length;
        }
        next = Math.max(next, ...covered.map((c) => c[1] + 1));
      }
    } catch (err) {
      log.warn({ instrument: req.instrument, from: req.from, to, err: (err as Error).message }, 'resend interrupted; the requester asks again');
    }
    const unavailable = uncovered(req.from, to, covered);
    const missing = unavailable.reduce((n, [a, b]) => n + b - a + 1, 0);
    this.stats.resentReadings += resent;
    this.stats.unavailableReadings += missing;
    log.info({ instrument: req.instrument, from: req.from, to, resent, unavailable, requestId: req.requestId }, 'resend request served from the spool');
    this.opts.answer({ ...this.resultOf(req, to), resent, unavailable });
  }

  private resultOf(req: ResendRequest, to: number): Omit<ResendResult, 'resent' | 'unavailable'> {
    return {
      v: 1,
      site: this.opts.site,
      gateway: this.opts.gateway,
      requestId: req.requestId,
      instrument: req.instrument,
      epoch: req.epoch,
      from: req.from,
      to,
    };
  }
}

/** The parts of [from, to] no range in `covered` holds. */
export function uncovered(from: number, to: number, covered: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let next = from;
  for (const [a, b] of [...covered].sort((x, y) => x[0] - y[0])) {
    if (a > next) out.push([next, Math.min(a - 1, to)]);
    next = Math.max(next, b + 1);
    if (next > to) return out;
  }
  if (next <= to) out.push([next, to]);
  return out;
}
