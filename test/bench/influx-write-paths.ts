import { InfluxDB, type IPoint } from 'influx';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';

const cal = { status: 'valid' as const, certificate: 'BENCH', due: '2027-01-01', daysToDue: 30, traceable: true };

/** Readings shaped like the Modbus scenario's: 200 instruments × 50 channels per "cycle". */
function batches(points: number, t0: number): WireBatch[] {
  const out: WireBatch[] = [];
  for (let i = 0; out.length * 50 < points; i++) {
    const ts = t0 + Math.floor(i / 200) * 1000;
    out.push({
      v: 1,
      site: 'bench',
      gateway: 'g',
      instrument: `bench-${i % 200}`,
      readings: Array.from({ length: 50 }, (_, c) => ({
        channel: `r${c}`,
        quantity: 'signal',
        unit: '',
        ts,
        seq: i * 50 + c + 1,
        raw: c * 1.5,
        value: c * 1.5,
        quality: 'good' as const,
        cal,
      })),
    });
  }
  return out;
}

/**
 * The same points into InfluxDB two ways, in batches of 5,000: the `influx` package's writePoints
 * and our own POST of pre-rendered line protocol (what the ingest role does).
 */
export async function compareWritePaths(url: string, points = 200_000): Promise<{ writePoints: number; rawPost: number }> {
  const t0 = Date.UTC(2026, 0, 1);
  const data = batches(points, t0);

  const dbA = 'bench_writepoints';
  const clientA: InfluxDB = influxClient({ url, database: dbA });
  await clientA.createDatabase(dbA);
  const ipoints: IPoint[] = data.flatMap((b) =>
    b.readings.map((r) => ({
      measurement: 'reading',
      tags: { cal_status: r.cal.status, channel: r.channel, instrument: b.instrument, quality: r.quality, quantity: r.quantity, site: b.site },
      fields: {
        seq: r.seq,
        traceable: r.cal.traceable,
        value: r.value as number,
        raw: r.raw as number,
        days_to_due: r.cal.daysToDue!,
        certificate: r.cal.certificate!,
      },
      timestamp: r.ts,
    })),
  );
  let start = performance.now();
  for (let i = 0; i < ipoints.length; i += 5000) await clientA.writePoints(ipoints.slice(i, i + 5000), { precision: 'ms' });
  const writePoints = ipoints.length / ((performance.now() - start) / 1000);

  const dbB = 'bench_rawpost';
  await influxClient({ url, database: dbB }).createDatabase(dbB);
  const writer = new InfluxWriter({ url, database: dbB });
  const renderer = new LineProtocolRenderer('reading');
  start = performance.now();
  let lines: string[] = [];
  let n = 0;
  for (const b of data) {
    n += renderer.render(b, lines);
    if (lines.length >= 5000) {
      await writer.write(lines);
      lines = [];
    }
  }
  if (lines.length) await writer.write(lines);
  const rawPost = n / ((performance.now() - start) / 1000);
  writer.close();
  return { writePoints, rawPost };
}

export function printWritePaths(paths: { writePoints: number; rawPost: number }): void {
  console.log(`\nInfluxDB write path, 200,000 points in batches of 5,000 (rendering included in the raw path):`);
  console.log(`  influx.writePoints  ${paths.writePoints.toFixed(0)} points/s`);
  console.log(`  raw line protocol   ${paths.rawPost.toFixed(0)} points/s (what the ingest role uses)`);
  console.log(JSON.stringify({ bench: 'influx-write-paths', ...paths }));
}
