/**
 * Intermediate checks while the gateway runs: redundancy pairs judged from the live readings,
 * reference channels compared on their schedule, and check-standard results recorded by an
 * operator (API, `metrogate check record`). Every result goes through its CheckSeries.
 */
import type { CalEvent } from '../calibration/cal-event.js';
import type { Logger } from '../log.js';
import type { ReadingListener } from '../pipeline.js';
import type { Reading, ReadingBatch } from '../reading.js';
import type { CheckConfig, ChecksConfig } from './check-config.js';
import { judgeEn, judgeMpe, judgeRedundancy, type Judgement } from './check-judge.js';
import type { CheckResult } from './check-result.js';
import { CheckSeries, type CheckEngine, type Measurement } from './check-series.js';
import { CheckStore } from './check-store.js';
import type { CheckService, CheckSummary } from './check-service.js';

export interface CheckRunnerOptions {
  site: string;
  checks: ChecksConfig;
  engine: CheckEngine;
  onReadings(listener: ReadingListener): () => void;
  publish: (event: CalEvent) => void;
  log: Logger;
  now?: () => number;
}

/** What an operator records: the indication (default: the channel's latest reading) and who. */
export interface OperatorEntry {
  measured?: number;
  by?: string;
}

/** A clear refusal (unknown check, nothing to measure with): the API answers 400/404 with it. */
export class CheckInputError extends Error {
  override readonly name = 'CheckInputError';
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

interface Latest {
  value: number;
  /** Standard uncertainty, when the calibration gave one. */
  u: number | undefined;
  k: number;
  ts: number;
}

/** A reading operator input may stand on: fresher than this. */
const FRESH_MS = 60_000;

export class CheckRunner implements CheckService {
  readonly store: CheckStore;
  private readonly series = new Map<string, CheckSeries>();
  private readonly latest = new Map<string, Latest>();
  /** Redundancy: the newest pair already judged, so one pair is judged once. */
  private readonly judgedUpTo = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly warned = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: CheckRunnerOptions) {
    this.now = opts.now ?? Date.now;
    this.store = new CheckStore(opts.checks.dir);
    const deps = { site: opts.site, store: this.store, engine: opts.engine, publish: opts.publish, log: opts.log };
    for (const c of opts.checks.series) this.series.set(c.id, new CheckSeries(c, deps));
  }

  start(): void {
    this.unsubscribe = this.opts.onReadings(this.onBatch);
    for (const s of this.series.values()) {
      const ref = s.config.standard?.reference;
      if (!ref) continue;
      const t = setInterval(() => this.scheduled(s), ref.everyMs);
      t.unref();
      this.timers.push(t);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
  }

  summaries(): CheckSummary[] {
    return [...this.series.values()].map(({ config: c, chart, last }) => ({
      id: c.id,
      kind: c.redundancy ? 'redundancy' : 'standard',
      instrument: c.instrument,
      channel: c.channel,
      quarantineOn: [...c.quarantineOn],
      chart: {
        n: chart.n,
        limitsFrom: chart.limitsFrom,
        centre: chart.limits?.centre ?? null,
        sigma: chart.limits?.sigma ?? null,
        cusumHigh: chart.cusum.high,
        cusumLow: chart.cusum.low,
        lastPassedTs: chart.lastPassedTs,
      },
      last,
    }));
  }

  results(id: string, limit: number): CheckResult[] | null {
    return this.series.has(id) ? this.store.results(id, limit) : null;
  }

  /** An operator's check-standard result; throws CheckInputError with what is wrong. */
  record(id: string, entry: OperatorEntry): CheckResult {
    const s = this.series.get(id);
    if (!s) throw new CheckInputError(`no check "${id}" in this gateway's config`, 404);
    const std = s.config.standard;
    if (!std) throw new CheckInputError(`check ${id} is a redundancy check: its results come from the readings, not from an operator`);
    const own = this.fresh(s.config.instrument, s.config.channel);
    const measured = entry.measured ?? own?.value;
    if (measured === undefined)
      throw new CheckInputError(
        `check ${id}: no measured value given and no reading of ${s.config.instrument}.${s.config.channel} in the last ${FRESH_MS / 1000} s`,
      );
    const U = entry.measured === undefined && own?.u !== undefined ? own.k * own.u : null;
    let reference = std.value;
    let referenceU = std.U;
    if (std.reference) {
      const ref = this.fresh(std.reference.instrument, std.reference.channel);
      if (!ref || ref.u === undefined)
        throw new CheckInputError(
          `check ${id}: no reading with an uncertainty of the reference ${std.reference.instrument}.${std.reference.channel} in the last ${FRESH_MS / 1000} s`,
        );
      reference = ref.value;
      referenceU = ref.k * ref.u;
    }
    return this.takeStandard(s, { ts: this.now(), measured, U, reference: reference!, referenceU: referenceU!, by: entry.by });
  }

  private takeStandard(s: CheckSeries, m: Measurement): CheckResult {
    const std = s.config.standard!;
    let j: Judgement;
    try {
      j = std.rule === 'mpe' ? judgeMpe(m.measured, m.reference, std.mpe!) : judgeEn(m.measured, m.U ?? 0, m.reference, m.referenceU);
    } catch (err) {
      throw new CheckInputError(`check ${s.config.id}: ${(err as Error).message}`);
    }
    return s.take(m, j);
  }

  /** A reference channel's schedule: both channels' latest readings, taken at (nearly) the same time. */
  private scheduled(s: CheckSeries): void {
    const ref = s.config.standard!.reference!;
    const a = this.latest.get(key(s.config.instrument, s.config.channel));
    const b = this.latest.get(key(ref.instrument, ref.channel));
    if (!a || !b || b.u === undefined || Math.abs(a.ts - b.ts) > ref.maxSkewMs) {
      this.opts.log.warn(
        { check: s.config.id, reference: `${ref.instrument}.${ref.channel}` },
        "intermediate check skipped: no pair of readings (with the reference's uncertainty) close enough in time",
      );
      return;
    }
    try {
      this.takeStandard(s, { ts: Math.max(a.ts, b.ts), measured: a.value, U: a.u !== undefined ? a.k * a.u : null, reference: b.value, referenceU: b.k * b.u });
    } catch (err) {
      this.opts.log.error({ check: s.config.id, err: (err as Error).message }, 'intermediate check not recorded');
    }
  }

  private readonly onBatch = (batch: ReadingBatch): void => {
    let touched = false;
    for (const r of batch.readings) touched = this.note(r) || touched;
    if (!touched) return;
    for (const s of this.series.values()) if (s.config.redundancy) this.pair(s);
  };

  /** Keeps the latest usable reading of every channel a check watches. */
  private note(r: Reading): boolean {
    if (r.quality !== 'good' || typeof r.value !== 'number' || !Number.isFinite(r.value)) return false;
    this.latest.set(key(r.instrument, r.channel), { value: r.value, u: r.u, k: r.k ?? 2, ts: r.ts });
    return true;
  }

  private pair(s: CheckSeries): void {
    const c = s.config;
    const red = c.redundancy!;
    const a = this.latest.get(key(c.instrument, c.channel));
    const b = this.latest.get(key(red.instrument ?? c.instrument, red.channel));
    if (!a || !b || Math.abs(a.ts - b.ts) > red.maxSkewMs) return;
    const at = Math.max(a.ts, b.ts);
    if (at <= (this.judgedUpTo.get(c.id) ?? -Infinity)) return;
    this.judgedUpTo.set(c.id, at);
    if (a.u === undefined || b.u === undefined) {
      this.warnOnce(c, 'redundancy check skipped: a reading has no uncertainty (give the channels a calibration record or an uncertaintyBudget)');
      return;
    }
    try {
      s.take({ ts: at, measured: a.value, U: a.k * a.u, reference: b.value, referenceU: b.k * b.u }, judgeRedundancy(a.value, a.u, b.value, b.u, red.k));
    } catch (err) {
      this.opts.log.error({ check: c.id, err: (err as Error).message }, 'intermediate check not recorded');
    }
  }

  private fresh(instrument: string, channel: string): Latest | undefined {
    const l = this.latest.get(key(instrument, channel));
    return l && this.now() - l.ts <= FRESH_MS ? l : undefined;
  }

  private warnOnce(c: CheckConfig, message: string): void {
    if (this.warned.has(c.id)) return;
    this.warned.add(c.id);
    this.opts.log.warn({ check: c.id, instrument: c.instrument }, message);
  }
}

const key = (instrument: string, channel: string) => `${instrument}\u0000${channel}`;
