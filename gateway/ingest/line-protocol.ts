import { escape } from 'influx';
import type { WireReading } from '../sinks/mqtt/payload.js';

/**
 * What the renderer reads: the fields a gateway-side ReadingBatch and a parsed wire message
 * (WireBatch) both have, so the direct InfluxDB sink and the ingest role write the same points.
 */
export interface RenderableBatch {
  site: string;
  instrument: string;
  readings: readonly WireReading[];
}

/**
 * Renders readings as InfluxDB line protocol, one `reading` point per reading:
 *   <measurement>,cal_status=..,channel=..,instrument=..,quality=..,quantity=..,site=..,unit=..
 *     value=..,raw=..,u=..,k=..,seq=..i,traceable=..,days_to_due=..i,certificate="..",reason=".." <ts ms>
 * Tags are the low-cardinality identity (sorted, as InfluxDB prefers); everything per-reading is a
 * field. Numbers and booleans both go to float fields (true = 1) because InfluxDB 1.x fixes a
 * field's type per measurement and shard: one boolean channel must not make every numeric
 * channel's writes fail. Strings go to a separate `text` field for the same reason.
 * The timestamp is the reading's source timestamp, so a replayed reading lands on the same point.
 */
export class LineProtocolRenderer {
  private readonly seriesCache = new Map<string, string>();

  constructor(private readonly measurement: string) {}

  render(batch: RenderableBatch, out: string[]): number {
    const head = escape.measurement(this.measurement) + ',';
    let n = 0;
    for (const r of batch.readings) {
      out.push(head + this.series(batch, r) + ' ' + fields(r) + ' ' + r.ts);
      n++;
    }
    return n;
  }

  private series(batch: RenderableBatch, r: WireReading): string {
    const key = `${batch.site}\u0000${batch.instrument}\u0000${r.channel}\u0000${r.quantity}\u0000${r.unit}\u0000${r.cal.status}\u0000${r.quality}`;
    let s = this.seriesCache.get(key);
    if (s === undefined) {
      const tags: [string, string][] = [
        ['cal_status', r.cal.status],
        ['channel', r.channel],
        ['instrument', batch.instrument],
        ['quality', r.quality],
        ['quantity', r.quantity],
        ['site', batch.site],
        ['unit', r.unit],
      ];
      // An empty tag value is not allowed in line protocol: leave the tag out.
      s = tags.filter(([, v]) => v !== '').map(([k, v]) => `${k}=${escape.tag(v)}`).join(',');
      if (this.seriesCache.size > 100_000) this.seriesCache.clear();
      this.seriesCache.set(key, s);
    }
    return s;
  }
}

function numeric(v: WireReading['value']): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

function fields(r: WireReading): string {
  let f = `seq=${r.seq}i,traceable=${r.cal.traceable}`;
  const value = numeric(r.value);
  const raw = numeric(r.raw);
  if (value !== null) f += `,value=${value}`;
  if (raw !== null) f += `,raw=${raw}`;
  if (typeof r.value === 'string') f += `,text=${escape.quoted(r.value)}`;
  if (r.u !== undefined && Number.isFinite(r.u)) f += `,u=${r.u}`;
  if (r.k !== undefined && Number.isFinite(r.k)) f += `,k=${r.k}`;
  if (r.cal.daysToDue !== null) f += `,days_to_due=${r.cal.daysToDue}i`;
  if (r.cal.certificate !== null) f += `,certificate=${escape.quoted(r.cal.certificate)}`;
  if (r.reason !== undefined) f += `,reason=${escape.quoted(r.reason)}`;
  return f;
}
