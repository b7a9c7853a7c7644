/**
 * Counts, per instrument stream (site, gateway, instrument, epoch), readings this ingester has seen twice
 * (redeliveries after a crash, spool replays) and sequence numbers it has not seen yet below the
 * highest one (gaps). With one ingester the gap count is exact; in a shared-subscription group
 * each member sees only its share, so gaps are found across the group against InfluxDB and the
 * gateways' own last seqs instead (gateway/repair/gap-repair.ts, `metrogate audit`), and these
 * per-member counts serve duplicates.
 */
const WINDOW = 1 << 16;

interface Stream {
  max: number;
  /** Bit per seq in (max − WINDOW, max]: seen or not. */
  seen: Uint8Array;
  gaps: number;
  duplicates: number;
}

export class SeqTracker {
  private readonly streams = new Map<string, Stream>();

  note(stream: string, seq: number): void {
    let s = this.streams.get(stream);
    if (!s) {
      s = { max: seq - 1, seen: new Uint8Array(WINDOW / 8), gaps: 0, duplicates: 0 };
      this.streams.set(stream, s);
    }
    if (seq > s.max) {
      // Seqs skipped on the way up are gaps until they arrive late.
      for (let q = s.max + 1; q < seq && q <= s.max + WINDOW; q++) this.clear(s, q);
      s.gaps += Math.max(0, seq - s.max - 1);
      this.clear(s, seq);
      this.mark(s, seq);
      s.max = seq;
    } else if (seq > s.max - WINDOW) {
      if (this.isSeen(s, seq)) s.duplicates++;
      else {
        this.mark(s, seq);
        s.gaps--;
      }
    } else {
      // Older than the window: cannot tell; count as a duplicate (a replay of old data).
      s.duplicates++;
    }
  }

  totals(): { streams: number; gaps: number; duplicates: number } {
    let gaps = 0;
    let duplicates = 0;
    for (const s of this.streams.values()) {
      gaps += s.gaps;
      duplicates += s.duplicates;
    }
    return { streams: this.streams.size, gaps, duplicates };
  }

  of(stream: string): { gaps: number; duplicates: number; max: number } | undefined {
    const s = this.streams.get(stream);
    return s && { gaps: s.gaps, duplicates: s.duplicates, max: s.max };
  }

  private isSeen(s: Stream, q: number): boolean {
    const i = q & (WINDOW - 1);
    return (s.seen[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  private mark(s: Stream, q: number): void {
    const i = q & (WINDOW - 1);
    s.seen[i >> 3]! |= 1 << (i & 7);
  }

  private clear(s: Stream, q: number): void {
    const i = q & (WINDOW - 1);
    s.seen[i >> 3]! &= ~(1 << (i & 7));
  }
}
