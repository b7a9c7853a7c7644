import type { WireReading } from '../sinks/mqtt/payload.js';
import { boolField, floatField, intField, measurementName, stringField, tagSet, timestamp } from './line-protocol-escape.js';

/**
 * What the renderer reads: the fields a gateway-side ReadingBatch and a parsed wire message
 * (WireBatch) both have, so the direct InfluxDB sink and the ingest role write the same points.
 */
export interface RenderableBatch {
  site: string;
  /** The direct sink sets it too (influx-writes.ts), so both paths write the same points. */
  gateway?: string;
  instrument: string;
  /** The stream epoch: with gateway and instrument, the stream a seq counts in (audit, gap repair). */
  epoch?: string;
  readings: readonly WireReading[];
}

/**
 * Renders readings as InfluxDB line protocol, one `reading` point per reading:
 *   <measurement>,cal_status=..,channel=..,instrument=..,quality=..,quantity=..,site=..,unit=..
 *     value=..,raw=..,raw_unit="..",u=..,k=..,seq=..i,traceable=..,days_to_due=..i,certificate="..",reason="..",cal_reason=".." <ts ms>
 * Tags are the low-cardinality identity (sorted, as InfluxDB prefers); everything per-reading is a
 * field. Numbers and booleans both go to float fields (true = 1) because InfluxDB 1.x fixes a
 * field's type per measurement and shard: one boolean channel must not make every numeric
 * channel's writes fail. Strings go to a separate `text` field for the same reason.
 * The timestamp is the reading's source timestamp, so a replayed reading lands on the same point.
 * Every value is escaped or rendered by its type (line-protocol-escape.ts); a value line protocol
 * cannot carry throws LineProtocolError before anything of the batch is written to `out`.
 */
/** The tag set last rendered for one channel, and what it was rendered from. */
interface ChannelSeries {
  quantity: string;
  unit: string;
  status: string;
  quality: string;
  tags: string;
}

/** Channels remembered at most (the cache starts over beyond it). */
const MAX_CACHED_CHANNELS = 100_000;

export class LineProtocolRenderer {
  private readonly head: string;
  /** Per `site\0instrument`, per channel: compared field by field, no key string per reading. */
  private readonly seriesCache = new Map<string, Map<string, ChannelSeries>>();
  private cachedChannels = 0;

  constructor(measurement: string) {
    this.head = measurementName(measurement) + ',';
  }

  render(batch: RenderableBatch, out: string[]): number {
    const channels = this.channelsOf(batch);
    const rs = batch.readings;
    const mark = out.length;
    try {
      for (let i = 0; i < rs.length; i++) {
        const r = rs[i]!;
        let c = channels.get(r.channel);
        if (c === undefined || c.quantity !== r.quantity || c.unit !== r.unit || c.status !== r.cal.status || c.quality !== r.quality) {
          c = this.remember(channels, batch, r);
        }
        out.push(this.head + c.tags + ' ' + fields(r) + ' ' + timestamp(r.ts));
      }
    } catch (err) {
      out.length = mark;
      throw err;
    }
    return rs.length;
  }

  private channelsOf(batch: RenderableBatch): Map<string, ChannelSeries> {
    const key = `${batch.site}\u0000${batch.gateway ?? ''}\u0000${batch.instrument}\u0000${batch.epoch ?? ''}`;
    let channels = this.seriesCache.get(key);
    if (channels === undefined) {
      channels = new Map();
      this.seriesCache.set(key, channels);
    }
    return channels;
  }

  private remember(channels: Map<string, ChannelSeries>, batch: RenderableBatch, r: WireReading): ChannelSeries {
    const tags: [string, string | null][] = [
      ['cal_status', r.cal.status],
      ['channel', r.channel],
      ['epoch', batch.epoch ?? ''],
      ['gateway', batch.gateway ?? ''],
      ['instrument', batch.instrument],
      ['quality', r.quality],
      ['quantity', r.quantity],
      ['site', batch.site],
      ['unit', r.unit],
    ];
    const c: ChannelSeries = {
      quantity: r.quantity,
      unit: r.unit,
      status: r.cal.status,
      quality: r.quality,
      // An empty tag value is not allowed in line protocol: tagSet leaves the tag out.
      tags: tagSet(tags),
    };
    if (this.cachedChannels >= MAX_CACHED_CHANNELS) {
      this.seriesCache.clear();
      this.cachedChannels = 0;
      channels = this.channelsOf(batch);
    }
    if (!channels.has(r.channel)) this.cachedChannels++;
    channels.set(r.channel, c);
    return c;
  }
}

function numeric(v: WireReading['value']): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

function fields(r: WireReading): string {
  const cal = r.cal;
  let f = 'seq=' + intField(r.seq) + ',traceable=' + boolField(cal.traceable);
  const value = numeric(r.value);
  const raw = numeric(r.raw);
  if (value !== null) f += ',value=' + floatField(value);
  if (raw !== null) f += ',raw=' + floatField(raw);
  if (r.rawUnit !== undefined) f += ',raw_unit=' + stringField(r.rawUnit);
  if (typeof r.value === 'string') f += ',text=' + stringField(r.value);
  if (typeof r.u === 'number' && Number.isFinite(r.u)) f += ',u=' + floatField(r.u);
  if (typeof r.k === 'number' && Number.isFinite(r.k)) f += ',k=' + floatField(r.k);
  if (cal.daysToDue !== null) f += ',days_to_due=' + intField(cal.daysToDue);
  if (cal.certificate !== null) f += ',certificate=' + stringField(cal.certificate);
  if (r.reason !== undefined) f += ',reason=' + stringField(r.reason);
  if (cal.reason !== undefined) f += ',cal_reason=' + stringField(cal.reason);
  return f;
}
