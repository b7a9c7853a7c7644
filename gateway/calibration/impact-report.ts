/**
 * Reverse traceability, written by the gateway that owns the instrument: when a new certificate's
 * as-found data failed, count the readings stored for the suspect period and write a report a
 * quality manager can act on (`<reportsDir>/<instrument>[.<channel>]-<certificate>-impact.md` and
 * `.json`). Stored readings are not rewritten; Grafana shows the period from the `cal_event` point.
 */
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfluxConfig } from '../../config/schema.js';
import { PRIVATE_FILE, ensurePrivateDir } from '../private-files.js';
import type { CalEvent } from './cal-event.js';
import { influxqlIdentifier, influxqlString, markdownText } from './report-escaping.js';

export interface ImpactReport {
  site: string;
  gateway: string;
  instrument: string;
  channel: string | null;
  certificate: string | null;
  /** The intermediate check that found the fault; null for a certificate's as-found failure. */
  check: string | null;
  from: string;
  to: string;
  /** Readings stored in InfluxDB for the period when the report was written; null when not counted. */
  readingsAffected: number | null;
  /** Why they were not counted (no InfluxDB configured on this gateway, or it did not answer). */
  notCounted?: string;
  /** The InfluxQL that counts them, to run again later (a backlog may still have been on its way). */
  query: string;
  asFoundError: number | null;
  mpe: number | null;
  reason: string;
  file: string;
  writtenAt: string;
}

type InfluxAccess = Pick<InfluxConfig, 'url' | 'database' | 'username' | 'password' | 'measurement'>;

const iso = (ms: number) => new Date(ms).toISOString();
const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const COUNT_TIMEOUT_MS = 5000;

export function countQuery(e: CalEvent, measurement: string): string {
  const where = [
    `"instrument" = ${influxqlString(e.instrument)}`,
    ...(e.channel ? [`"channel" = ${influxqlString(e.channel)}`] : []),
    `time >= ${e.suspectFrom ?? 0}ms AND time < ${e.suspectTo ?? e.ts}ms`,
  ].join(' AND ');
  return `SELECT count("seq") AS "n" FROM ${influxqlIdentifier(measurement)} WHERE ${where}`;
}

/** GET /query, as the influx CLI sends it; the gateway needs no InfluxDB client library for one count. */
async function countReadings(influx: InfluxAccess, q: string): Promise<number> {
  const u = new URL('/query', influx.url);
  u.searchParams.set('db', influx.database);
  u.searchParams.set('q', q);
  const headers: Record<string, string> = {};
  if (influx.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${influx.username}:${influx.password ?? ''}`).toString('base64')}`;
  const res = await fetch(u, { headers, signal: AbortSignal.timeout(COUNT_TIMEOUT_MS) });
  const body = (await res.json()) as { results?: { error?: string; series?: { values?: unknown[][] }[] }[]; error?: string };
  const failed = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || failed) throw new Error(`InfluxDB answered ${res.status}${failed ? `: ${failed}` : ''}`);
  return Number(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

function markdown(r: ImpactReport, e: CalEvent): string {
  const md = markdownText;
  return `# Impact report: ${md(e.instrument)}${e.channel ? ` / ${md(e.channel)}` : ''}

- Site: ${md(r.site)}, gateway: ${md(r.gateway)}
- ${e.check !== undefined ? `Intermediate check that found the fault: ${md(e.check)} (certificate in force: ${md(r.certificate ?? 'none')})` : `Certificate that found the fault: ${md(r.certificate ?? 'unknown')}`}
- Finding: ${md(r.reason)}
- Largest as-found error: ${r.asFoundError ?? 'not stated'}${r.mpe !== null ? ` (maximum permissible error ${r.mpe})` : ''}
- Suspect period: ${e.suspectFrom ? `${r.from} to ${r.to} (since the last ${e.check !== undefined ? 'passed check' : 'good calibration'})` : `every reading before ${r.to} (no earlier ${e.check !== undefined ? 'passed check' : 'calibration'} on record)`}
- Readings affected: ${r.readingsAffected ?? `not counted (${md(r.notCounted ?? 'unknown')})`}, stored in InfluxDB when this report was written (${r.writtenAt})
- Count them again with: \`${r.query.replace(/`/g, "'")}\`

Readings of this period are kept as they were stored. Decide, for each result that relied on
them, whether it must be recalled, re-measured or corrected.
`;
}

/** Writes the report (.md for people, .json for tools), each through a temporary file and a rename. */
export async function writeImpactReport(e: CalEvent, gateway: string, influx: InfluxAccess | undefined, dir: string): Promise<ImpactReport> {
  // A check can fail again after a release: its reports are told apart by when they were found.
  const finder = e.check !== undefined ? `check-${safe(e.check)}-${e.ts}` : safe(e.certificate ?? 'unknown');
  const name = `${safe(e.instrument)}${e.channel ? '.' + safe(e.channel) : ''}-${finder}-impact`;
  const query = countQuery(e, influx?.measurement ?? 'reading');
  let readingsAffected: number | null = null;
  let notCounted: string | undefined;
  if (influx) {
    try {
      readingsAffected = await countReadings(influx, query);
    } catch (err) {
      notCounted = `InfluxDB at ${new URL(influx.url).host}: ${(err as Error).message}`;
    }
  } else {
    notCounted = 'this gateway has no `influx` section to count them in';
  }
  const report: ImpactReport = {
    site: e.site,
    gateway,
    instrument: e.instrument,
    channel: e.channel ?? null,
    certificate: e.certificate,
    check: e.check ?? null,
    from: iso(e.suspectFrom ?? 0),
    to: iso(e.suspectTo ?? e.ts),
    readingsAffected,
    ...(notCounted !== undefined && { notCounted }),
    query,
    asFoundError: e.asFoundError ?? null,
    mpe: e.mpe ?? null,
    reason: e.reason,
    file: join(dir, `${name}.md`),
    writtenAt: new Date().toISOString(),
  };
  ensurePrivateDir(dir, 'calibration reports directory');
  for (const [ext, body] of [
    ['.md', markdown(report, e)],
    ['.json', JSON.stringify(report, null, 2) + '\n'],
  ] as const) {
    const target = join(dir, name + ext);
    await writeFile(target + '.tmp', body, { mode: PRIVATE_FILE });
    await chmod(target + '.tmp', PRIVATE_FILE);
    await rename(target + '.tmp', target);
  }
  return report;
}
