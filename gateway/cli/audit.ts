import type { MetrogateConfig } from '../../config/schema.js';
import { auditCompleteness } from '../ingest/audit-sequences.js';
import { readRetainedSeqs } from '../repair/read-retained-seqs.js';

/**
 * `metrogate audit`: is every reading each gateway accepted stored, whichever gateway and ingester
 * carried it? Storage is compared with the gateways' own last seqs (retained on the broker, and as
 * the ingesters recorded them), so a loss at the end of a run is seen too. Exit 1 on any loss.
 */
export async function runAudit(config: MetrogateConfig, sinceMinutes: number | undefined): Promise<number> {
  if (!config.influx) {
    console.error('audit needs an influx section in the config');
    return 2;
  }
  const since = sinceMinutes === undefined ? undefined : Date.now() - sinceMinutes * 60_000;
  // Without a broker (one box, the direct sink) the gateways' figures are those recorded in InfluxDB.
  const published = config.mqtt
    ? await readRetainedSeqs(config.mqtt).catch((err: Error) => {
        console.error(`warning: no last seqs from the broker (${err.message}); using those the ingesters recorded in InfluxDB`);
        return new Map();
      })
    : new Map();
  const rows = await auditCompleteness(config.influx, published, since);
  const header = ['site', 'gateway', 'instrument', 'epoch', 'stored', 'first', 'last', 'gateway last', 'missing', 'at tail', 'repaired'];
  const body = rows.map((r) => [
    r.site,
    r.gateway || '-',
    r.instrument,
    r.epoch || '-',
    String(r.stored),
    String(r.first),
    String(r.last),
    r.gatewayLast === null ? 'unknown' : String(r.gatewayLast),
    String(r.head + r.missing),
    String(r.tail),
    String(r.repaired),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  for (const row of [header, ...body]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  const open = rows.reduce((n, r) => n + r.open, 0);
  const tail = rows.reduce((n, r) => n + r.tail, 0);
  const repaired = rows.reduce((n, r) => n + r.repaired, 0);
  const unknown = rows.filter((r) => r.gatewayLast === null).length;
  console.log('');
  if (unknown > 0) console.log(`NOTE: ${unknown} streams without a last seq from their gateway: checked between first and last stored seq only.`);
  if (open === 0) {
    console.log(`OK: ${rows.length} streams, every reading up to each gateway's last accepted seq is stored (${repaired} repaired).`);
    return 0;
  }
  console.log(`MISSING: ${open} readings in all, ${tail} of them at the tail (after the last stored seq); ${repaired} were repaired.`);
  return 1;
}
