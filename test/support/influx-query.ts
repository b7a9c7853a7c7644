/** InfluxDB 1.x /query over plain HTTP, as Grafana's InfluxQL datasource sends it (GET, epoch=ms). */

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxStatement {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export async function influxQuery(url: string, database: string, q: string): Promise<InfluxStatement[]> {
  const u = new URL('/query', url);
  u.searchParams.set('db', database);
  u.searchParams.set('q', q);
  u.searchParams.set('epoch', 'ms');
  const res = await fetch(u);
  const text = await res.text();
  let body: { results?: InfluxStatement[]; error?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`InfluxDB answered ${res.status} with no JSON: ${text.slice(0, 300)}`);
  }
  if (body.error) throw new Error(`InfluxDB: ${body.error}`);
  if (!res.ok) throw new Error(`InfluxDB answered ${res.status}: ${text.slice(0, 300)}`);
  return body.results ?? [];
}

/** The series of a one-statement query; throws with InfluxDB's message on a statement error. */
export async function influxSeries(url: string, database: string, q: string): Promise<InfluxSeries[]> {
  const results = await influxQuery(url, database, q);
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(failed.error);
  return results.flatMap((r) => r.series ?? []);
}

/** True when some row has a value other than null in a column other than time. */
export function hasData(series: readonly InfluxSeries[]): boolean {
  return series.some((s) => s.values.some((row) => row.some((v, i) => s.columns[i] !== 'time' && v !== null)));
}

/** Rows as objects, with the series' tags merged in. */
export function rowsOf(series: readonly InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((row) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, row[i]])) })));
}
