import { randomBytes } from 'node:crypto';
import { escape, type IPoint } from 'influx';
import type { MqttClient } from 'mqtt';
import type { InfluxConfig } from '../../config/schema.js';
import { influxClient } from '../influx/ensure-database.js';
import type { Logger } from '../log.js';
import { resendTopic, seqsSubscription } from '../sinks/mqtt/topics.js';
import { missingRanges, StreamGaps, type SeqRange } from './gap-tracker.js';
import { PublishedSeqs, streamKey, type StreamId } from './published-seqs.js';
import type { RepairConfig } from './repair-config.js';
import { parseLastSeqs, type ResendRequest } from './repair-messages.js';

export interface GapRepairOptions {
  client: MqttClient;
  prefix: string;
  sites: readonly string[];
  influx: Pick<InfluxConfig, 'url' | 'database' | 'measurement' | 'username' | 'password'>;
  config: RepairConfig;
  clientId: string;
  log: Logger;
}

export interface RepairStats {
  /** Streams (site, gateway, instrument, epoch) with a published last seq. */
  streams: number;
  checks: number;
  checkErrors: number;
  /** Resend requests this ingester published, and the readings they asked for. */
  requests: number;
  requestedReadings: number;
  /** Readings found missing, asked for, and stored since. */
  repairedReadings: number;
  /** Readings missing now (below a published last seq older than the grace period). */
  openReadings: number;
  /** Readings given up after maxAttempts asks: the gateway's spool no longer holds them. */
  lostReadings: number;
}

/** Seqs read from InfluxDB per stream per check at most (a long history is verified in steps). */
const MAX_SCAN = 50_000;
const MAX_REQUESTS_PER_CHECK = 8;

/**
 * The ingest's half of end-to-end completeness. Every ingester of a shared group takes every
 * gateway's retained last seqs (a plain subscription, not the group's), and checks InfluxDB, which
 * all of them write, rather than what it saw itself: in a group each member sees only a share of
 * the data. A gateway's figure counts only once it is graceMs old, so readings on their way to
 * another member are not taken for gaps; what is still missing then is asked for on the owning
 * gateway's control/resend topic. Two members asking for the same range cost one re-send (the
 * gateway serves a duplicate once) and InfluxDB stores a reading once however often it comes.
 */
export class GapRepair {
  readonly stats: RepairStats = {
    streams: 0,
    checks: 0,
    checkErrors: 0,
    requests: 0,
    requestedReadings: 0,
    repairedReadings: 0,
    openReadings: 0,
    lostReadings: 0,
  };
  private readonly published = new PublishedSeqs();
  private readonly gaps = new Map<string, StreamGaps>();
  private readonly open = new Map<string, number>();
  private readonly db;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly writing = new Set<Promise<void>>();
  private requestNo = 0;
  private readonly requester = randomBytes(3).toString('hex');

  constructor(private readonly opts: GapRepairOptions) {
    this.db = influxClient(opts.influx);
    // Subscribed on every connect: a broker restarted without persistence forgets subscriptions.
    opts.client.on('connect', () => this.subscribe());
    if (opts.client.connected) this.subscribe();
  }

  get filters(): string[] {
    return this.opts.sites.map((site) => seqsSubscription(this.opts.prefix, site));
  }

  start(): void {
    this.timer = setInterval(() => {
      this.checking ??= this.checkAll().finally(() => (this.checking = null));
    }, this.opts.config.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    await Promise.all(this.writing);
  }

  /** True when the message was a gateway's last seqs (taken here; acknowledge it at once). */
  take(topic: string, payload: Buffer): boolean {
    if (!topic.endsWith('/seqs')) return false;
    const doc = parseLastSeqs(payload);
    if (typeof doc === 'string') {
      this.opts.log.warn({ topic, problem: doc }, 'ignored a last-seqs message that is not one');
      return true;
    }
    this.published.note(doc, Date.now());
    this.stats.streams = this.published.size;
    const points: IPoint[] = Object.entries(doc.lastSeq).map(([instrument, seq]) => ({
      measurement: 'gateway_seq',
      tags: { site: doc.site, gateway: doc.gateway, instrument, epoch: doc.epoch },
      fields: { last_seq: seq },
      timestamp: doc.ts,
    }));
    this.write(points);
    return true;
  }

  private subscribe(): void {
    this.opts.client.subscribeAsync(this.filters, { qos: 1 }).then(
      (granted) => {
        const refused = granted.filter((g) => g.qos > 2);
        if (refused.length > 0) this.opts.log.error({ refused }, 'broker refused the last-seqs subscription: gaps cannot be found');
      },
      (err: Error) => this.opts.log.warn({ err: err.message }, 'last-seqs subscription failed; retried at the next connect'),
    );
  }

  private async checkAll(): Promise<void> {
    const now = Date.now();
    let open = 0;
    for (const { id, target } of this.published.targets(now, this.opts.config.graceMs)) {
      try {
        await this.check(id, target, now);
        this.stats.checks++;
      } catch (err) {
        this.stats.checkErrors++;
        this.opts.log.warn({ ...id, err: (err as Error).message }, 'gap check failed; tried again at the next interval');
      }
      open += this.open.get(streamKey(id)) ?? 0;
    }
    this.stats.openReadings = open;
  }

  private async check(id: StreamId, target: number, now: number): Promise<void> {
    const key = streamKey(id);
    let gaps = this.gaps.get(key);
    if (!gaps) {
      gaps = new StreamGaps({ ...this.opts.config, maxRequestsPerCheck: MAX_REQUESTS_PER_CHECK }, await this.verifiedUpTo(id));
      this.gaps.set(key, gaps);
    }
    const from = gaps.watermark;
    if (target <= from) return;
    const upTo = Math.min(target, from + MAX_SCAN);
    const stored = await this.storedSeqs(id, from, upTo);
    const u = gaps.update(now, missingRanges(stored, from, upTo), upTo);
    this.open.set(key, u.open);
    this.stats.repairedReadings += u.repaired;
    const points: IPoint[] = [];
    const event = (state: string, readings: number, range?: SeqRange): void => {
      points.push({ measurement: 'seq_gap', tags: { ...id, state }, fields: { readings, ...(range ? { from: range[0], to: range[1] } : {}) }, timestamp: now });
    };
    if (u.repaired > 0) event('repaired', u.repaired);
    for (const r of u.lost) {
      const n = r[1] - r[0] + 1;
      this.stats.lostReadings += n;
      event('lost', n, r);
      this.opts.log.error({ ...id, from: r[0], to: r[1] }, 'readings lost: the gateway did not re-send them (no longer in its spool)');
    }
    for (const r of u.ask) {
      this.request(id, r);
      event('requested', r[1] - r[0] + 1, r);
    }
    if (u.watermark > from) points.push({ measurement: 'seq_verified', tags: { ...id }, fields: { upto: u.watermark }, timestamp: now });
    this.write(points);
  }

  private request(id: StreamId, [from, to]: SeqRange): void {
    const req: ResendRequest = { v: 1, instrument: id.instrument, epoch: id.epoch, from, to, requestId: `${this.requester}-${++this.requestNo}` };
    this.stats.requests++;
    this.stats.requestedReadings += to - from + 1;
    this.opts.log.warn({ ...id, from, to, requestId: req.requestId }, 'readings missing from InfluxDB: asking the gateway to re-send them');
    // Expires with the next retry: a request queued for an offline gateway is not worth keeping.
    const messageExpiryInterval = Math.max(1, Math.ceil(this.opts.config.retryMs / 1000));
    this.opts.client.publish(resendTopic(this.opts.prefix, id.site, id.gateway), JSON.stringify(req), { qos: 1, properties: { messageExpiryInterval } });
  }

  private where(id: StreamId): string {
    return `"site" = ${escape.stringLit(id.site)} AND "gateway" = ${escape.stringLit(id.gateway)} AND "instrument" = ${escape.stringLit(id.instrument)} AND "epoch" = ${escape.stringLit(id.epoch)}`;
  }

  /** Where an earlier check (by any ingester) got to: every seq up to it is stored. */
  private async verifiedUpTo(id: StreamId): Promise<number> {
    const rows = await this.db.query<{ upto: number }>(`SELECT max("upto") AS "upto" FROM "seq_verified" WHERE ${this.where(id)}`);
    return rows.length > 0 ? Number(rows[0]!.upto) : 0;
  }

  private async storedSeqs(id: StreamId, after: number, upTo: number): Promise<number[]> {
    const rows = await this.db.query<{ seq: number }>(
      `SELECT "seq" FROM ${escape.measurement(this.opts.influx.measurement)} WHERE ${this.where(id)} AND "seq" > ${after} AND "seq" <= ${upTo}`,
    );
    return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  }

  private write(points: IPoint[]): void {
    if (points.length === 0) return;
    const write: Promise<void> = this.db
      .writePoints(points, { precision: 'ms' })
      .catch((err: Error) => this.opts.log.warn({ err: err.message, points: points.length }, 'gap repair bookkeeping not written to InfluxDB'))
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}
