import { chmod, rename, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE, ensurePrivateDir } from '../private-files.js';
import { join } from 'node:path';
import { escape } from 'influx';
import type { InfluxConfig } from '../../config/schema.js';
import { influxClient } from './ensure-database.js';
import type { WireCalEvent } from './event-lines.js';

export interface ImpactReport {
  site: string;
  instrument: string;
  channel: string | null;
  certificate: string | null;
  from: string;
  to: string;
  readingsAffected: number;
  asFoundError: number | null;
  mpe: number | null;
  reason: string;
  file: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * Reverse traceability: when a certificate's as-found data failed, count the readings stored for
 * the suspect period and write a report a quality manager can act on. Stored readings are not
 * rewritten; Grafana shows the period from the `cal_event` point.
 */
export async function writeImpactReport(e: WireCalEvent, influx: InfluxConfig, dir: string): Promise<ImpactReport> {
  const from = e.suspectFrom ?? 0;
  const to = e.suspectTo ?? e.ts;
  const where = [
    `"instrument" = ${escape.stringLit(e.instrument)}`,
    ...(e.channel ? [`"channel" = ${escape.stringLit(e.channel)}`] : []),
    `time >= ${from}ms AND time < ${to}ms`,
  ].join(' AND ');
  const rows = await influxClient(influx).query<{ n: number }>(`SELECT count("seq") AS "n" FROM ${escape.measurement(influx.measurement)} WHERE ${where}`);
  const name = `${safe(e.instrument)}${e.channel ? '.' + safe(e.channel) : ''}-${safe(e.certificate ?? 'unknown')}-impact`;
  const report: ImpactReport = {
    site: e.site, instrument: e.instrument, channel: e.channel ?? null, certificate: e.certificate,
    from: iso(from), to: iso(to), readingsAffected: Number(rows[0]?.n ?? 0),
    asFoundError: e.asFoundError ?? null, mpe: e.mpe ?? null, reason: e.reason, file: join(dir, `${name}.md`),
  };
  const text = `# Impact report: ${e.instrument}${e.channel ? ` / ${e.channel}` : ''}

- Site: ${e.site}
- Certificate that found the fault: ${e.certificate ?? 'unknown'}
- Finding: ${e.reason}
- Largest as-found error: ${report.asFoundError ?? 'not stated'}${report.mpe !== null ? ` (maximum permissible error ${report.mpe})` : ''}
- Suspect period: ${report.from} to ${report.to} (since the last good calibration)
- Readings affected: ${report.readingsAffected}

Readings of this period are kept as they were stored. Decide, for each result that relied on
them, whether it must be recalled, re-measured or corrected.
`;
  ensurePrivateDir(dir, 'calibration reports directory');
  for (const [ext, body] of [['.md', text], ['.json', JSON.stringify(report, null, 2) + '\n']] as const) {
    const target = join(dir, name + ext);
    await writeFile(target + '.tmp', body, { mode: PRIVATE_FILE });
    await chmod(target + '.tmp', PRIVATE_FILE);
    await rename(target + '.tmp', target);
  }
  return report;
}
