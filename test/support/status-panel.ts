import { join } from 'node:path';
import { ROOT } from './e2e-fixture.js';
import { interpolate, loadDashboards, panelsOf } from './grafana-dashboards.js';
import { influxSeries, rowsOf } from './influx-query.js';

/** The calibration board's query of each instrument's calibration status (scope instrument), as shipped. */
export function statusPanelQuery(): string {
  const board = loadDashboards(join(ROOT, 'dashboards', 'json')).find((d) => d.file === 'calibration-board.json');
  if (!board) throw new Error('dashboards/json/calibration-board.json not found');
  const queries = panelsOf(board.json)
    .flatMap((p) => (p.targets ?? []).map((t) => t.query ?? ''))
    .filter((q) => q.includes('FROM "instrument_cal"') && q.includes(`"scope" = 'instrument'`));
  if (queries.length !== 1) throw new Error(`calibration-board.json: expected one panel query of instrument_cal (scope instrument), found ${queries.length}`);
  return queries[0]!;
}

/**
 * The status panel's rows by instrument, its query interpolated as Grafana does for the last hour;
 * none while the database does not exist yet (the panel is empty then, too).
 */
export async function statusPanelRows(
  influx: { url: string; database: string },
  site: string,
  instruments: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const now = Date.now();
  const vars = new Map([
    ['site', { values: [site] }],
    ['instrument', { values: [...instruments] }],
  ]);
  const q = interpolate(statusPanelQuery(), vars, { from: now - 3_600_000, to: now + 60_000 }, 1000);
  const series = await influxSeries(influx.url, influx.database, q).catch((err: Error) => {
    if (err.message.includes('database not found')) return [];
    throw err;
  });
  return new Map(rowsOf(series).map((r) => [String(r.instrument), r]));
}
