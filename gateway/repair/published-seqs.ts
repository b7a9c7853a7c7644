import type { LastSeqs } from './repair-messages.js';

/** One instrument stream of one gateway: the key seqs are unique in. */
export interface StreamId {
  site: string;
  gateway: string;
  instrument: string;
  epoch: string;
}

interface Published {
  id: StreamId;
  /** Values seen, ascending in seq, with when each was first seen. */
  samples: { seq: number; at: number }[];
}

export const streamKey = (s: StreamId): string => `${s.site}\u0000${s.gateway}\u0000${s.instrument}\u0000${s.epoch}`;

/**
 * What the gateways say they accepted, per stream, and since when: a gap check looks only up to
 * the last seq published at least `graceMs` ago, so readings still on their way are not gaps.
 */
export class PublishedSeqs {
  private readonly streams = new Map<string, Published>();

  note(doc: LastSeqs, now: number): void {
    for (const [instrument, seq] of Object.entries(doc.lastSeq)) {
      const id = { site: doc.site, gateway: doc.gateway, instrument, epoch: doc.epoch };
      const key = streamKey(id);
      let p = this.streams.get(key);
      if (!p) this.streams.set(key, (p = { id, samples: [] }));
      const last = p.samples.at(-1);
      if (!last || seq > last.seq) p.samples.push({ seq, at: now });
    }
  }

  /** Per stream, the highest seq published at least graceMs before `now` (streams with none are left out). */
  targets(now: number, graceMs: number): { id: StreamId; target: number; latest: number }[] {
    const out: { id: StreamId; target: number; latest: number }[] = [];
    for (const p of this.streams.values()) {
      let i = p.samples.length - 1;
      while (i >= 0 && now - p.samples[i]!.at < graceMs) i--;
      if (i < 0) continue;
      // Older samples than the one in force are of no further use.
      if (i > 0) p.samples.splice(0, i);
      out.push({ id: p.id, target: p.samples[0]!.seq, latest: p.samples.at(-1)!.seq });
    }
    return out;
  }

  get size(): number {
    return this.streams.size;
  }
}
