import { escape } from 'influx';
import type { InfluxConfig } from '../../config/schema.js';
import { streamKey, type StreamId } from '../repair/published-seqs.js';
import { influxClient } from '../influx/ensure-database.js';

type InfluxAccess = Pick<InfluxConfig, 'url' | 'database' | 'measurement' | 'username' | 'password'>;

export interface SequenceAudit extends StreamId {
  /** Readings stored (InfluxDB keeps one per series and timestamp: duplicates are already gone). */
  stored: number;
  first: number;
  last: number;
  /** Sequence numbers between first and last that are not stored. */
  missing: number;
}

export interface CompletenessAudit extends SequenceAudit {
  /** The gateway's own last accepted seq for the stream; null when no gateway ever said it. */
  gatewayLast: number | null;
  /** Missing before the first stored seq (counted only for an audit of all time). */
  head: number;
  /** Missing after the last stored seq, up to the gateway's last accepted one. */
  tail: number;
  /** head + missing + tail: readings the gateway accepted that are not stored. */
  open: number;
  /** Readings gap repair asked for (seq_gap, state requested, any ingester) that are stored now. */
  repaired: number;
}

const TAGS = 'GROUP BY "site", "gateway", "instrument", "epoch"';

function idOf(tags: Record<string, string>): StreamId {
  return { site: String(tags.site ?? ''), gateway: String(tags.gateway ?? ''), instrument: String(tags.instrument ?? ''), epoch: String(tags.epoch ?? '') };
}

/**
 * Per stream (site, gateway, instrument, epoch), what InfluxDB holds between the first and the
 * last stored seq. On its own this cannot see a loss at the end of a run: auditCompleteness adds
 * the gateways' own last seqs.
 */
export async function auditSequences(influx: InfluxAccess, sinceMs?: number): Promise<SequenceAudit[]> {
  const where = sinceMs === undefined ? '' : ` WHERE time >= ${Math.floor(sinceMs)}ms`;
  const rows = await influxClient(influx).query<{ n: number; first: number; last: number }>(
    `SELECT count("seq") AS "n", min("seq") AS "first", max("seq") AS "last" FROM ${escape.measurement(influx.measurement)}${where} ${TAGS}`,
  );
  return rows.groups().map((g) => {
    const r = g.rows[0]!;
    const stored = Number(r.n);
    return { ...idOf(g.tags), stored, first: Number(r.first), last: Number(r.last), missing: Number(r.last) - Number(r.first) + 1 - stored };
  });
}

/** Per stream, the highest last seq the ingesters recorded from the gateways (gateway_seq). */
export async function recordedGatewaySeqs(influx: InfluxAccess): Promise<Map<string, { id: StreamId; last: number }>> {
  const rows = await influxClient(influx).query<{ last: number }>(`SELECT max("last_seq") AS "last" FROM "gateway_seq" ${TAGS}`);
  return new Map(rows.groups().map((g) => [streamKey(idOf(g.tags)), { id: idOf(g.tags), last: Number(g.rows[0]!.last) }]));
}

/**
 * Per stream, the readings gap repair asked for (the union of every ingester's requested ranges:
 * two ingesters asking for one range count it once) that are stored now.
 */
async function repairedReadings(influx: InfluxAccess, sinceMs?: number): Promise<Map<string, number>> {
  const db = influxClient(influx);
  const since = sinceMs === undefined ? '' : ` AND time >= ${Math.floor(sinceMs)}ms`;
  const rows = await db.query<{ from: number; to: number }>(`SELECT "from", "to" FROM "seq_gap" WHERE "state" = 'requested'${since} ${TAGS}`);
  const out = new Map<string, number>();
  for (const g of rows.groups()) {
    const id = idOf(g.tags);
    let n = 0;
    for (const [from, to] of mergeRanges(g.rows.map((r): [number, number] => [Number(r.from), Number(r.to)]))) {
      const where = `"site" = ${escape.stringLit(id.site)} AND "gateway" = ${escape.stringLit(id.gateway)} AND "instrument" = ${escape.stringLit(id.instrument)} AND "epoch" = ${escape.stringLit(id.epoch)}`;
      const [stored] = await db.query<{ n: number }>(
        `SELECT count("seq") AS "n" FROM ${escape.measurement(influx.measurement)} WHERE ${where} AND "seq" >= ${from} AND "seq" <= ${to}`,
      );
      n += Number(stored?.n ?? 0);
    }
    out.set(streamKey(id), n);
  }
  return out;
}

/** Overlapping or adjacent ranges joined, ascending. */
export function mergeRanges(ranges: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * Storage against the gateways' own word: every stream must hold each seq from 1 (or, with
 * `sinceMs`, from the first stored in the window) up to the last seq its gateway accepted.
 * `published` is what the gateways say now (their retained last seqs); what the ingesters
 * recorded in InfluxDB counts too, so neither a lost retained message nor a deaf ingester hides
 * a loss. A gateway that published a stream of which nothing is stored shows it all missing.
 */
export async function auditCompleteness(
  influx: InfluxAccess,
  published: ReadonlyMap<string, { id: StreamId; last: number }>,
  sinceMs?: number,
): Promise<CompletenessAudit[]> {
  const [stored, recorded, repaired] = await Promise.all([auditSequences(influx, sinceMs), recordedGatewaySeqs(influx), repairedReadings(influx, sinceMs)]);
  const truth = new Map(recorded);
  for (const [k, p] of published) if (p.last > (truth.get(k)?.last ?? -1)) truth.set(k, p);
  const out: CompletenessAudit[] = [];
  const seen = new Set<string>();
  for (const s of stored) {
    const k = streamKey(s);
    seen.add(k);
    const gatewayLast = truth.get(k)?.last ?? null;
    const head = sinceMs === undefined ? s.first - 1 : 0;
    const tail = gatewayLast === null ? 0 : Math.max(0, gatewayLast - s.last);
    out.push({ ...s, gatewayLast, head, tail, open: head + s.missing + tail, repaired: repaired.get(k) ?? 0 });
  }
  for (const [k, t] of truth) {
    if (seen.has(k) || t.last === 0 || sinceMs !== undefined) continue;
    out.push({ ...t.id, stored: 0, first: 0, last: 0, missing: 0, gatewayLast: t.last, head: 0, tail: t.last, open: t.last, repaired: repaired.get(k) ?? 0 });
  }
  return out.sort((a, b) => streamKey(a).localeCompare(streamKey(b)));
}
