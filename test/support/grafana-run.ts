/**
 * Running dashboards as Grafana would against a real InfluxDB: the provisioned datasource, every
 * variable, annotation and panel query interpolated (test/support/grafana-dashboards.ts) and
 * executed, and the checks on table panels the runs make possible.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './e2e-fixture.js';
import {
  interpolate,
  intervalMs,
  panelRange,
  panelsOf,
  repeatOf,
  variableQuery,
  type Dashboard,
  type Panel,
  type VariableValues,
} from './grafana-dashboards.js';
import { influxSeries, rowsOf, type InfluxSeries } from './influx-query.js';

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  jsonData?: { dbName?: string; version?: string; timeInterval?: string };
}

const datasourceDir = join(ROOT, 'dashboards/provisioning/datasources');
export const datasources: ProvisionedDatasource[] = readdirSync(datasourceDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => (parse(readFileSync(join(datasourceDir, f), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources);
export const influxDs = datasources.find((d) => d.type === 'influxdb')!;

interface InfluxDb {
  url: string;
  database: string;
}

export interface Run {
  /** Dashboard / panel title / refId, for the failure message. */
  where: string;
  query: string;
  series: InfluxSeries[];
  error?: string;
  /** The panel and target alias it ran for (not for variables and annotations). */
  panel?: Panel;
  alias?: string;
}

async function execute(db: InfluxDb, where: string, query: string): Promise<Run> {
  try {
    return { where, query, series: await influxSeries(db.url, db.database, query) };
  } catch (err) {
    return { where, query, series: [], error: (err as Error).message };
  }
}

/**
 * Every variable, annotation and panel query of one dashboard, interpolated as Grafana does, run
 * against InfluxDB. `selected` picks a variable's values where a user would (per dashboard uid);
 * otherwise "All" where a variable offers it, else its first value.
 */
export async function runDashboard(d: Dashboard, db: InfluxDb, selected: Record<string, Record<string, string[]>> = {}): Promise<Run[]> {
  const out: Run[] = [];
  const now = Date.now();
  const vars: VariableValues = new Map();
  const dashRange = panelRange(d, null, now);
  const dashInterval = intervalMs(dashRange, null, influxDs.jsonData?.timeInterval);
  const interpolated = (where: string, q: string, scoped: VariableValues, range = dashRange, iv = dashInterval): Run | string => {
    try {
      return interpolate(q, scoped, range, iv);
    } catch (err) {
      return { where, query: q, series: [], error: (err as Error).message };
    }
  };
  const run = async (where: string, q: string, scoped: VariableValues, range = dashRange, iv = dashInterval, extra: Partial<Run> = {}): Promise<Run> => {
    const text = interpolated(where, q, scoped, range, iv);
    const r = { ...(typeof text === 'string' ? await execute(db, where, text) : text), ...extra };
    out.push(r);
    return r;
  };

  for (const v of d.templating.list) {
    const r = await run(`${d.title} / variable $${v.name}`, variableQuery(v), vars);
    const values = rowsOf(r.series).map((row) => String(row.value));
    const chosen = selected[d.uid]?.[v.name] ?? (v.includeAll ? values : values.slice(0, 1));
    vars.set(v.name, { values: chosen.filter((c) => values.includes(c)) });
  }
  for (const a of d.annotations.list) {
    if (a.builtIn) continue;
    await run(`${d.title} / annotation "${a.name}"`, a.target?.query ?? '', vars);
  }
  for (const p of panelsOf(d)) {
    if (!p.targets) continue;
    const range = panelRange(d, p, now);
    const iv = intervalMs(range, p, influxDs.jsonData?.timeInterval);
    // A repeated panel (or row) is one copy per selected value, each with the variable set to it.
    const repeat = repeatOf(d, p);
    const copies = repeat ? (vars.get(repeat)?.values ?? []).map((value) => ({ value })) : [null];
    for (const copy of copies) {
      const scoped: VariableValues = copy && repeat ? new Map(vars).set(repeat, { values: [copy.value] }) : vars;
      const title = copy && repeat ? p.title.replaceAll(`$${repeat}`, copy.value) : p.title;
      for (const t of p.targets) await run(`${d.title} / "${title}" / ${t.refId}`, t.query ?? '', scoped, range, iv, { panel: p, alias: t.alias });
    }
  }
  return out;
}

/** Table renames and overrides that name a column no query of the panel returned. */
export function tableProblems(json: Dashboard, ran: Run[]): string[] {
  const problems: string[] = [];
  for (const p of panelsOf(json).filter((x) => x.type === 'table')) {
    const columns = new Set(
      ran
        .filter((r) => r.panel === p)
        .flatMap((r) => r.series.flatMap((s) => [...s.columns.map((c) => (c === 'time' ? 'Time' : c)), ...Object.keys(s.tags ?? {})])),
    );
    const renames = Object.assign({}, ...(p.transformations ?? []).map((t) => t.options.renameByName ?? {})) as Record<string, string>;
    for (const from of Object.keys(renames)) if (!columns.has(from)) problems.push(`${json.title} / "${p.title}": renames missing column ${from}`);
    const shown = new Set([...columns].map((c) => renames[c] ?? c));
    for (const o of p.fieldConfig?.overrides ?? []) {
      if (o.matcher.id === 'byName' && !shown.has(o.matcher.options))
        problems.push(`${json.title} / "${p.title}": override for missing column ${o.matcher.options}`);
    }
  }
  return problems;
}
