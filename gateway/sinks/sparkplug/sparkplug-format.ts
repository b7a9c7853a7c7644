import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalTag, ReadingBatch } from '../../reading.js';
import type { Roster } from '../cloud/roster.js';
import { cloudTopics, type UplinkFormat, type UplinkMessage } from '../cloud/uplink-format.js';
import type { InstrumentState } from '../sink.js';
import { asMetricValue, MetricTable, NODE_REBIRTH, NODE_REBIRTH_ALIAS, QUALITY_CODE } from './metric-table.js';
import { DataType, decodeCommandMetrics, encodeSparkplug, type Metric, type ScalarValue } from './sparkplug-payload.js';

export interface SparkplugFormatOptions {
  groupId: string;
  edgeNodeId: string;
  /** For the JSON roster published beside the Sparkplug topics. */
  prefix: string;
  site: string;
  gateway: string;
  version: string;
  instruments: readonly InstrumentConfig[];
  now?: () => number;
}

interface DeviceStatus {
  cal: CalTag | null;
  online: boolean | null;
  lastSeq: number | null;
}

/**
 * Sparkplug B 3.0 (spBv1.0) edge node: the gateway is the node, each instrument a device.
 *   spBv1.0/<group>/NBIRTH/<node>            seq 0, bdSeq, Node Control/Rebirth
 *   spBv1.0/<group>/DBIRTH/<node>/<device>   every metric with name, alias, datatype, last value
 *   spBv1.0/<group>/DDATA/<node>/<device>    one per reading batch: metrics by alias, reading timestamps
 *   spBv1.0/<group>/NDEATH/<node>            the last will (and sent on a clean stop), same bdSeq
 *   spBv1.0/<group>/NCMD/<node>              subscribed: Node Control/Rebirth = true → births again
 * Deviations, on purpose: DDATA goes with QoS 1 (not 0) so that the spool advances only on the
 * broker's PUBACK; readings older than the current NBIRTH (replayed from the spool) are marked
 * is_historical. A channel with a sensor characteristic (a PRT read in Ω) carries `rawUnit` as a
 * property in DBIRTH, and `raw` and `rawUnit` as properties of each value in DDATA.
 */
export class SparkplugFormat implements UplinkFormat {
  private table: MetricTable;
  private readonly now: () => number;
  private bdSeq = -1;
  private seq = 0;
  private sessionStart = 0;
  private readonly last = new Map<string, Map<string, { value: ScalarValue; ts: number }>>();
  private readonly status = new Map<string, DeviceStatus>();

  constructor(private readonly o: SparkplugFormatOptions) {
    this.table = new MetricTable(o.instruments);
    this.now = o.now ?? Date.now;
    for (const d of this.table.devices()) this.status.set(d, { cal: null, online: null, lastSeq: null });
  }

  topic(type: string, device?: string): string {
    return `spBv1.0/${this.o.groupId}/${type}/${this.o.edgeNodeId}${device !== undefined ? `/${device}` : ''}`;
  }

  will(): UplinkMessage {
    // A new bdSeq per connection attempt; the NBIRTH of that connection carries the same one.
    this.bdSeq = (this.bdSeq + 1) % 256;
    return this.death();
  }

  births(): UplinkMessage[] {
    const ts = this.now();
    this.sessionStart = ts;
    this.seq = 0;
    const node = encodeSparkplug({
      timestamp: ts,
      seq: 0,
      metrics: [
        { name: 'bdSeq', timestamp: ts, datatype: DataType.Int64, value: this.bdSeq },
        { name: NODE_REBIRTH, alias: NODE_REBIRTH_ALIAS, timestamp: ts, datatype: DataType.Boolean, value: false },
        { name: 'Properties/site', timestamp: ts, datatype: DataType.String, value: this.o.site },
        { name: 'Properties/gateway', timestamp: ts, datatype: DataType.String, value: this.o.gateway },
        { name: 'Properties/version', timestamp: ts, datatype: DataType.String, value: this.o.version },
      ],
    });
    const out: UplinkMessage[] = [{ topic: this.topic('NBIRTH'), payload: node, retain: false }];
    for (const device of this.table.devices()) out.push(this.deviceBirth(device, ts));
    return out;
  }

  data(batch: ReadingBatch): UplinkMessage {
    const metrics: Metric[] = [];
    const last = this.lastValues(batch.instrument);
    let lastSeq = 0;
    for (const r of batch.readings) {
      const def = this.table.get(batch.instrument, r.channel);
      if (!def) continue; // a channel no longer configured (replayed from an older config)
      const value = asMetricValue(def.datatype, r.value);
      const historical = r.ts < this.sessionStart;
      const m: Metric = { alias: def.alias, timestamp: r.ts, datatype: def.datatype, value };
      if (historical) m.isHistorical = true;
      if (r.quality !== 'good') m.properties = { Quality: { type: DataType.Int32, value: QUALITY_CODE[r.quality] } };
      // A sensor read in another quantity: the value is the measurand, so the indication and its
      // unit go beside it for a host that checks the conversion.
      if (r.rawUnit !== undefined) {
        m.properties = {
          ...m.properties,
          raw: { type: DataType.Double, value: typeof r.raw === 'number' ? r.raw : null },
          rawUnit: { type: DataType.String, value: r.rawUnit },
        };
      }
      metrics.push(m);
      if (r.u !== undefined) {
        const u = this.table.get(batch.instrument, `${r.channel}/u`)!;
        metrics.push({ alias: u.alias, timestamp: r.ts, datatype: DataType.Double, value: r.u, ...(historical ? { isHistorical: true } : {}) });
      }
      const prev = last.get(r.channel);
      if (!prev || r.ts >= prev.ts) last.set(r.channel, { value, ts: r.ts });
      if (r.seq > lastSeq) lastSeq = r.seq;
    }
    const seqDef = this.table.get(batch.instrument, 'Readings/lastSeq');
    if (seqDef && lastSeq > 0) {
      metrics.push({ alias: seqDef.alias, timestamp: this.now(), datatype: DataType.Int64, value: lastSeq });
      this.status.get(batch.instrument)!.lastSeq = lastSeq;
    }
    return this.message('DDATA', batch.instrument, metrics);
  }

  state(state: InstrumentState): UplinkMessage[] {
    const s = this.status.get(state.instrument);
    // A removed device got its DDEATH from setInstruments(): no DDATA after it.
    if (!s || state.removed) return [];
    const changed = s.online !== state.online || JSON.stringify(s.cal) !== JSON.stringify(state.cal);
    s.online = state.online;
    s.cal = state.cal;
    if (!changed || this.sessionStart === 0) return [];
    return [this.message('DDATA', state.instrument, this.statusMetrics(state.instrument, this.now()))];
  }

  roster(roster: Roster): UplinkMessage {
    return { topic: cloudTopics.roster(this.o.prefix, this.o.site, this.o.gateway), payload: JSON.stringify(roster), retain: true };
  }

  /**
   * A hot reload: devices gone get a DDEATH; then a full rebirth (NBIRTH and every DBIRTH, as on
   * a Rebirth command), since the births define the aliases the new metric table uses.
   */
  setInstruments(instruments: readonly InstrumentConfig[]): UplinkMessage[] {
    const next = new MetricTable(instruments);
    const keep = new Set(next.devices());
    const out: UplinkMessage[] = [];
    for (const device of this.table.devices()) {
      if (keep.has(device)) continue;
      if (this.sessionStart !== 0) out.push(this.message('DDEATH', device, []));
      this.status.delete(device);
      this.last.delete(device);
    }
    for (const d of keep) if (!this.status.has(d)) this.status.set(d, { cal: null, online: null, lastSeq: null });
    this.table = next;
    return this.sessionStart === 0 ? out : [...out, ...this.births()];
  }

  goodbye(): UplinkMessage {
    return this.death();
  }

  subscriptions(): string[] {
    return [this.topic('NCMD')];
  }

  command(topic: string, payload: Buffer): UplinkMessage[] {
    if (topic !== this.topic('NCMD')) return [];
    let metrics: ReturnType<typeof decodeCommandMetrics>;
    try {
      metrics = decodeCommandMetrics(payload);
    } catch {
      return [];
    }
    const rebirth = metrics.some((m) => (m.name === NODE_REBIRTH || m.alias === NODE_REBIRTH_ALIAS) && m.value === true);
    return rebirth ? this.births() : [];
  }

  private death(): UplinkMessage {
    const payload = encodeSparkplug({ timestamp: this.now(), metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: this.bdSeq }] });
    return { topic: this.topic('NDEATH'), payload, retain: false };
  }

  private deviceBirth(device: string, ts: number): UplinkMessage {
    const last = this.lastValues(device);
    const metrics: Metric[] = [];
    for (const def of this.table.metrics(device)) {
      if (def.name.startsWith('Calibration/') || def.name.startsWith('Status/') || def.name.startsWith('Readings/')) continue;
      const seen = last.get(def.name);
      const m: Metric = { name: def.name, alias: def.alias, timestamp: seen?.ts ?? ts, datatype: def.datatype, value: seen?.value ?? null };
      m.properties = { engUnit: { type: DataType.String, value: def.unit ?? '' }, quantity: { type: DataType.String, value: def.quantity ?? '' } };
      if (def.rawUnit !== undefined) m.properties.rawUnit = { type: DataType.String, value: def.rawUnit };
      metrics.push(m);
    }
    metrics.push(...this.statusMetrics(device, ts, true));
    return this.message('DBIRTH', device, metrics);
  }

  /** Births name their metrics; data refers to them by alias only. */
  private statusMetrics(device: string, ts: number, named = false): Metric[] {
    const s = this.status.get(device)!;
    const cal = s.cal;
    const values: Record<string, ScalarValue> = {
      'Calibration/status': cal?.status ?? null,
      'Calibration/certificate': cal?.certificate ?? null,
      'Calibration/due': cal?.due ?? null,
      'Calibration/daysToDue': cal?.daysToDue ?? null,
      'Calibration/traceable': cal?.traceable ?? null,
      'Status/online': s.online,
    };
    // The last reading seq belongs to data messages; a birth states where the device stands.
    if (named) values['Readings/lastSeq'] = s.lastSeq;
    return Object.entries(values).map(([name, value]) => {
      const def = this.table.get(device, name)!;
      return { ...(named ? { name } : {}), alias: def.alias, timestamp: ts, datatype: def.datatype, value };
    });
  }

  private message(type: 'DDATA' | 'DBIRTH' | 'DDEATH', device: string, metrics: Metric[]): UplinkMessage {
    this.seq = (this.seq + 1) % 256;
    return { topic: this.topic(type, device), payload: encodeSparkplug({ timestamp: this.now(), seq: this.seq, metrics }), retain: false };
  }

  private lastValues(device: string): Map<string, { value: ScalarValue; ts: number }> {
    let m = this.last.get(device);
    if (!m) this.last.set(device, (m = new Map()));
    return m;
  }
}
