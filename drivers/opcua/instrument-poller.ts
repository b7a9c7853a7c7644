/**
 * The polled channels of one OPC UA instrument: a fixed grid of cycles (overrun cycles are
 * counted as skipped, never queued), each reading every polled node in batches of
 * maxNodesPerRead and yielding exactly one reading per channel, bad while disconnected.
 */
import type { UntaggedReading } from '../../gateway/reading.js';
import type { DriverStats } from '../driver.js';
import type { UaSample } from './sample.js';
import type { UaSession } from './ua-session.js';

/** Timeouts in a row after which the session is presumed dead and rebuilt. */
const TIMEOUTS_BEFORE_RECONNECT = 3;

export interface PollContext {
  /** The live session, null while disconnected. */
  session(): UaSession | null;
  /** Why the instrument is disconnected, for the readings' reason. */
  lastError(): string | undefined;
  nodeId(channel: number): string;
  toReading(channel: number, sample: UaSample, receivedAt: number): UntaggedReading;
  badReading(channel: number, ts: number, reason: string): UntaggedReading;
  emit(readings: UntaggedReading[]): void;
}

export class InstrumentPoller {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private nextDue = 0;
  private cycle: Promise<void> | null = null;
  private consecutiveTimeouts = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly batches: readonly (readonly number[])[],
    private readonly stats: DriverStats,
    private readonly ctx: PollContext,
  ) {}

  start(phaseMs: number): void {
    this.running = true;
    this.nextDue = Date.now() + phaseMs;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.cycle;
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = setTimeout(
      () => {
        this.cycle = this.poll().finally(() => {
          this.cycle = null;
          this.scheduleNext();
        });
      },
      Math.max(0, this.nextDue - Date.now()),
    );
  }

  private scheduleNext(): void {
    const now = Date.now();
    this.nextDue += this.intervalMs;
    if (this.nextDue <= now) {
      const missed = Math.ceil((now - this.nextDue) / this.intervalMs);
      this.stats.skippedCycles += missed;
      this.nextDue += missed * this.intervalMs;
      if (this.nextDue <= now) this.nextDue += this.intervalMs;
    }
    this.arm();
  }

  private async poll(): Promise<void> {
    const started = Date.now();
    this.stats.polls++;
    const readings: UntaggedReading[] = [];
    for (const batch of this.batches) {
      const session = this.ctx.session();
      if (!session) {
        const reason = `disconnected: ${this.ctx.lastError() ?? 'not connected'}`;
        for (const ch of batch) readings.push(this.ctx.badReading(ch, Date.now(), reason));
        continue;
      }
      try {
        const samples = await session.read(batch.map((ch) => this.ctx.nodeId(ch)));
        const receivedAt = Date.now();
        this.consecutiveTimeouts = 0;
        batch.forEach((ch, i) => readings.push(this.ctx.toReading(ch, samples[i]!, receivedAt)));
      } catch (err) {
        const reason = this.onReadError(session, err);
        for (const ch of batch) readings.push(this.ctx.badReading(ch, Date.now(), reason));
      }
    }
    this.stats.lastCycleMs = Date.now() - started;
    this.ctx.emit(readings);
  }

  /** A thrown read (not a Bad status per node) means the request or the session failed. */
  private onReadError(session: UaSession, err: unknown): string {
    this.stats.errors++;
    const message = err instanceof Error ? err.message : String(err);
    if (/timed? ?out|BadTimeout|BadRequestTimeout/i.test(message)) {
      this.stats.timeouts++;
      if (++this.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECONNECT) session.abandon(`${this.consecutiveTimeouts} read timeouts in a row`);
      return 'timeout';
    }
    session.abandon(`read failed: ${message}`);
    return `read failed: ${message.split('\n')[0]}`;
  }
}
