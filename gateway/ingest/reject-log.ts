import type { Logger } from '../log.js';
import { REJECT_REASONS, type Rejection, type RejectReason } from './wire-decoder.js';

/** At most one line per reason in this many ms: a flood of bad messages must not flood the log. */
const LOG_EVERY_MS = 10_000;

/**
 * Counts refused messages by reason and logs them, rate-limited per reason: the first at once,
 * then at most one per LOG_EVERY_MS, saying how many were refused in between without a line.
 */
export class RejectLog {
  readonly byReason: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  private readonly lastLogged = new Map<RejectReason, number>();
  private readonly unlogged = new Map<RejectReason, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  note(topic: string, rejection: Rejection): void {
    const { reason, detail } = rejection;
    this.byReason[reason]++;
    const at = this.now();
    const last = this.lastLogged.get(reason);
    if (last !== undefined && at - last < LOG_EVERY_MS) {
      this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + 1);
      return;
    }
    const suppressed = this.unlogged.get(reason) ?? 0;
    this.unlogged.delete(reason);
    this.lastLogged.set(reason, at);
    this.log.warn({ topic, reason, detail, ...(suppressed > 0 ? { alsoRefusedUnlogged: suppressed } : {}) }, 'ingest refused a message');
  }
}
