import type { MetrogateConfig } from '../../config/schema.js';
import { auditSequences } from '../ingest/audit-sequences.js';

/** `metrogate audit`: is every reading of every instrument stored, whichever gateway and ingester carried it? */
export async function runAudit(config: MetrogateConfig, sinceMinutes: number | undefined): Promise<number> {
  if (!config.influx) {
    console.error('audit needs an influx section in the config');
    return 2;
  }
  const since = sinceMinutes === undefined ? undefined : Date.now() - sinceMinutes * 60_000;
  const rows = await auditSequences(config.influx, since);
  const header = ['site', 'instrument', 'stored', 'first seq', 'last seq', 'missing'];
  const body = rows.map((r) => [r.site, r.instrument, String(r.stored), String(r.first), String(r.last), String(r.missing)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  for (const row of [header, ...body]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  const missing = rows.reduce((n, r) => n + r.missing, 0);
  console.log(missing === 0 ? `\nOK: ${rows.length} instruments, no reading missing.` : `\nMISSING: ${missing} readings in all.`);
  return missing === 0 ? 0 : 1;
}
