/** What InfluxDB takes with no gateway in the way: the yardstick each replay path is reported against. */
import { ensureDatabase } from '../../gateway/influx/ensure-database.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { archiveBatch, CHANNELS } from './replay-archive.js';

export const LINES_PER_REQUEST = 5000;

/**
 * Baseline: the same points, rendered beforehand (the renderer is the one both paths use), posted
 * 5,000 per request in a tight loop, `concurrency` requests at a time, into a fresh database.
 */
export async function baseline(url: string, database: string, readings: number, t0: number, concurrency: number): Promise<number> {
  await ensureDatabase({ url, database });
  const renderer = new LineProtocolRenderer('reading');
  const chunks: string[][] = [];
  let lines: string[] = [];
  for (let i = 0; i * CHANNELS < readings; i++) {
    renderer.render(archiveBatch(i, t0), lines);
    if (lines.length >= LINES_PER_REQUEST) {
      chunks.push(lines);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines);
  const writer = new InfluxWriter({ url, database }, concurrency);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) await writer.write(chunks[next++]!);
    }),
  );
  const perS = readings / ((performance.now() - start) / 1000);
  writer.close();
  return perS;
}
