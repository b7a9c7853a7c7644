/**
 * Waits on what InfluxDB holds, counted in the `reading` measurement only. The ingest's own
 * counter (`stats.points`) also counts cal_event and gateway_stats lines, so a wait on it ended
 * before the last readings were stored and the test that followed raced the writer.
 */
import { influxSeries } from './influx-query.js';
import { waitFor, type WaitOptions } from './until.js';

export interface StoredTarget {
  url: string;
  database: string;
  /** The measurement readings are stored in (influx.measurement); default `reading`. */
  measurement?: string;
}

/** The number of reading points stored, optionally narrowed by an InfluxQL condition. */
export async function storedReadings(influx: StoredTarget, where = ''): Promise<number> {
  const measurement = influx.measurement ?? 'reading';
  const series = await influxSeries(influx.url, influx.database, `SELECT count("seq") AS "n" FROM "${measurement}"${where ? ` WHERE ${where}` : ''}`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

/**
 * Resolves with the count once at least `n` reading points are stored (exactly `n` with
 * `exact`); fails at the deadline with the last count seen.
 */
export async function untilStoredReadings(influx: StoredTarget, n: number, opts: WaitOptions & { where?: string; exact?: boolean } = {}): Promise<number> {
  const what = `${opts.exact ? '' : 'at least '}${n} readings stored in ${influx.database}${opts.where ? ` where ${opts.where}` : ''}`;
  return waitFor(
    what,
    () => storedReadings(influx, opts.where),
    (got) => (opts.exact ? got === n : got >= n),
    { intervalMs: 100, ...opts },
  );
}
