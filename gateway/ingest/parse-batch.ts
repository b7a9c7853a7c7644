import type { WireBatch } from '../sinks/mqtt/payload.js';

/**
 * A cheap structural check of a data message: enough that rendering line protocol cannot throw or
 * write garbage. Full JSON Schema validation per message would cost more than the rest of ingest;
 * the schema is enforced in tests on what the gateway publishes.
 */
export function parseWireBatch(payload: Buffer): WireBatch | string {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof doc !== 'object' || doc === null) return 'not an object';
  const b = doc as Partial<WireBatch>;
  if (b.v !== 1) return `unsupported payload version ${String(b.v)}`;
  if (typeof b.site !== 'string' || typeof b.instrument !== 'string') return 'site or instrument missing';
  if (!Array.isArray(b.readings)) return 'readings is not an array';
  for (let i = 0; i < b.readings.length; i++) {
    const r = b.readings[i];
    if (
      typeof r !== 'object' || r === null ||
      typeof r.channel !== 'string' || typeof r.quantity !== 'string' || typeof r.unit !== 'string' ||
      !Number.isInteger(r.ts) || !Number.isInteger(r.seq) ||
      typeof r.quality !== 'string' || typeof r.cal !== 'object' || r.cal === null || typeof r.cal.status !== 'string'
    ) {
      return `readings[${i}] is malformed`;
    }
  }
  return b as WireBatch;
}
