import { escape } from 'influx';
import type { InfluxConfig } from '../../config/schema.js';
import { influxClient } from './ensure-database.js';

export interface SequenceAudit {
  site: string;
  instrument: string;
  /** Readings stored (InfluxDB keeps one per series and timestamp: duplicates are already gone). */
  stored: number;
  first: number;
  last: number;
  /** Sequence numbers between first and last that are not stored. */
  missing: number;
}

/**
 * Proves completeness across every gateway and ingester: per instrument, the stored readings must
 * number last − first + 1. Works whatever the shared-subscription group did with the messages.
 * Assumes one unbroken sequence per instrument in the window (a gateway restart starts it anew).
 */
export async function auditSequences(influx: Pick<InfluxConfig, 'url' | 'database' | 'measurement' | 'username' | 'password'>, sinceMs?: number): Promise<SequenceAudit[]> {
  const where = sinceMs === undefined ? '' : ` WHERE time >= ${Math.floor(sinceMs)}ms`;
  const rows = await influxClient(influx).query<{ n: number; first: number; last: number }>(
    `SELECT count("seq") AS "n", min("seq") AS "first", max("seq") AS "last" FROM ${escape.measurement(influx.measurement)}${where} GROUP BY "site", "instrument"`,
  );
  return rows.groups().map((g) => {
    const r = g.rows[0]!;
    const stored = Number(r.n);
    return { site: String(g.tags.site), instrument: String(g.tags.instrument), stored, first: Number(r.first), last: Number(r.last), missing: Number(r.last) - Number(r.first) + 1 - stored };
  });
}
