/**
 * Gap bookkeeping for one stream (site, gateway, instrument, epoch), free of I/O and clocks so it
 * can be tested line by line: each check hands in what is missing between the verified watermark
 * and the target (the gateway's last accepted seq, as published a grace period ago), and gets back
 * what to ask the gateway for, what was repaired since, and what is given up as lost.
 */
export type SeqRange = [from: number, to: number];

export interface GapPolicy {
  /** A range asked for and still missing is asked again after this long. */
  retryMs: number;
  /** Asks per range before it is counted lost (the gateway's spool no longer holds it). */
  maxAttempts: number;
  /** Readings per request at most: a longer gap is asked for in parts. */
  maxRangeReadings: number;
  /** Requests per stream per check at most (rate limit). */
  maxRequestsPerCheck: number;
}

export interface GapUpdate {
  ask: SeqRange[];
  /** Readings that were missing, were asked for by us, and are stored now. */
  repaired: number;
  lost: SeqRange[];
  /** Readings still missing (asked for, or waiting for their turn). */
  open: number;
  /** Every seq ≤ watermark is stored (or was given up as lost). */
  watermark: number;
}

interface Gap {
  from: number;
  to: number;
  attempts: number;
  lastAskedAt: number;
}

/** The seqs in (after, upTo] that `stored` (ascending; duplicates allowed) does not hold. */
export function missingRanges(stored: readonly number[], after: number, upTo: number): SeqRange[] {
  const out: SeqRange[] = [];
  let next = after + 1;
  for (const s of stored) {
    if (s < next) continue;
    if (s > upTo) break;
    if (s > next) out.push([next, s - 1]);
    next = s + 1;
  }
  if (next <= upTo) out.push([next, upTo]);
  return out;
}

const size = (r: { from: number; to: number }): number => r.to - r.from + 1;

export class StreamGaps {
  private gaps: Gap[] = [];

  constructor(
    private readonly policy: GapPolicy,
    public watermark = 0,
  ) {}

  /** `missing`: what a check of (watermark, checkedUpTo] found not stored, ascending. */
  update(now: number, missing: readonly SeqRange[], checkedUpTo: number): GapUpdate {
    let repaired = 0;
    const kept: Gap[] = [];
    for (const g of this.gaps) {
      const still = missing.filter(([a, b]) => b >= g.from && a <= g.to).map(([a, b]): Gap => ({ ...g, from: Math.max(a, g.from), to: Math.min(b, g.to) }));
      if (g.attempts > 0) repaired += size(g) - still.reduce((n, s) => n + size(s), 0);
      kept.push(...still);
    }
    for (const [a, b] of missing) {
      // What no known gap covers is new: split it into request-sized parts.
      let from = a;
      for (const g of kept.filter((k) => k.to >= a && k.from <= b).sort((x, y) => x.from - y.from)) {
        this.addNew(kept, from, g.from - 1);
        from = g.to + 1;
      }
      this.addNew(kept, from, b);
    }
    kept.sort((x, y) => x.from - y.from);
    const ask: SeqRange[] = [];
    const lost: SeqRange[] = [];
    this.gaps = [];
    for (const g of kept) {
      const due = g.attempts === 0 || now - g.lastAskedAt >= this.policy.retryMs;
      if (due && g.attempts >= this.policy.maxAttempts) {
        lost.push([g.from, g.to]);
        continue;
      }
      if (due && ask.length < this.policy.maxRequestsPerCheck) {
        ask.push([g.from, g.to]);
        g.attempts++;
        g.lastAskedAt = now;
      }
      this.gaps.push(g);
    }
    this.watermark = this.gaps.length > 0 ? this.gaps[0]!.from - 1 : Math.max(this.watermark, checkedUpTo);
    return { ask, repaired, lost, open: this.gaps.reduce((n, g) => n + size(g), 0), watermark: this.watermark };
  }

  private addNew(into: Gap[], from: number, to: number): void {
    for (let a = from; a <= to; a += this.policy.maxRangeReadings) {
      into.push({ from: a, to: Math.min(to, a + this.policy.maxRangeReadings - 1), attempts: 0, lastAskedAt: 0 });
    }
  }
}
