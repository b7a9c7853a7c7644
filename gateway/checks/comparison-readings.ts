/**
 * The readings a comparison result is made from, as stored in InfluxDB (the `reading`
 * measurement the ingest and the direct sink write): one channel, one window, every quality, so
 * the result can say how many it left out.
 */
import { escape } from 'influx';
import type { InfluxConfig } from '../../config/schema.js';
import { influxClient } from '../influx/ensure-database.js';
import type { WindowReading } from './comparison-result.js';

export interface ChannelWindow {
  site: string;
  instrument: string;
  channel: string;
  from: Date;
  to: Date;
}

export interface StoredWindow {
  readings: WindowReading[];
  /** The channel's quantity and unit as stored (the unit the result is stated in). */
  quantity: string | null;
  unit: string | null;
  /** More than one unit in the window: the readings cannot be averaged. */
  units: string[];
}

interface Row {
  value: number | null;
  u: number | null;
  traceable: boolean | null;
  certificate: string | null;
  quality: string;
  quantity: string;
  unit: string;
}

export async function readChannelWindow(influx: InfluxConfig, w: ChannelWindow): Promise<StoredWindow> {
  const q =
    `SELECT "value", "u", "traceable", "certificate", "quality", "quantity", "unit" FROM ${escape.measurement(influx.measurement)}` +
    ` WHERE "site" = ${escape.stringLit(w.site)} AND "instrument" = ${escape.stringLit(w.instrument)} AND "channel" = ${escape.stringLit(w.channel)}` +
    ` AND time >= ${w.from.getTime()}ms AND time <= ${w.to.getTime()}ms`;
  let rows: Row[];
  try {
    rows = (await influxClient(influx).query<Row>(q, { database: influx.database })) as unknown as Row[];
  } catch (err) {
    // A database nothing was ever written to holds no readings: the same answer as an empty window.
    if (!/database not found/.test((err as Error).message)) throw err;
    rows = [];
  }
  const units = [...new Set(rows.map((r) => r.unit))];
  return {
    readings: rows.map((r) => ({ value: r.value, u: r.u, quality: r.quality, traceable: r.traceable === true, certificate: r.certificate })),
    quantity: rows[0]?.quantity ?? null,
    unit: rows[0]?.unit ?? null,
    units,
  };
}
