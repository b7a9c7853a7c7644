/**
 * What Grafana does with our dashboard JSON before InfluxDB sees a query, reproduced for tests:
 * walk the panels (rows included), pick every target, template variable and annotation query,
 * and interpolate `$variables`, `$timeFilter` and `$__interval` the way Grafana's InfluxDB
 * datasource does (frontend: variables, regex-escaped inside /…/ and `(a|b)` for several
 * values; backend: `time >= <from>ms and time <= <to>ms`, the interval from the time range, the
 * panel's max data points and its minimum interval).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DatasourceRef;
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
  hide?: boolean;
}

export interface FieldOverride {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  repeat?: string;
  interval?: string;
  maxDataPoints?: number;
  timeFrom?: string;
  transformations?: { id: string; options: { renameByName?: Record<string, string>; excludeByName?: Record<string, boolean> } }[];
  fieldConfig?: { overrides?: FieldOverride[] };
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query?: string | { query: string };
  multi?: boolean;
  includeAll?: boolean;
}

export interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DatasourceRef;
  target?: { query?: string; textColumn?: string; tagsColumn?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  time: { from: string; to: string };
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: Annotation[] };
}

export interface DashboardFile {
  file: string;
  text: string;
  json: Dashboard;
}

/** The intermediate checks dashboard: it needs a gateway with checks, so it runs on data of its own (dashboard-checks.test.ts). */
export const CHECKS_UID = 'metrogate-checks';

export function loadDashboards(dir: string): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return { file, text, json: JSON.parse(text) as Dashboard };
    });
}

/** Every panel, including those nested in (collapsed) rows. */
export function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * The variable a panel is repeated over: its own `repeat`, or its row's. A row's panels are
 * nested in it when collapsed, else they are the panels after it up to the next row.
 */
export function repeatOf(d: Dashboard, panel: Panel): string | undefined {
  if (panel.repeat) return panel.repeat;
  let row: Panel | undefined;
  for (const p of d.panels) {
    if (p.type === 'row') {
      if (p.panels?.includes(panel)) return p.repeat;
      row = p;
    } else if (p === panel) {
      return row?.repeat;
    }
  }
  return undefined;
}

/** Every datasource reference anywhere in a dashboard, with where it was found. */
export function datasourceRefs(d: Dashboard): { where: string; ref: DatasourceRef | string | undefined }[] {
  const refs: { where: string; ref: DatasourceRef | string | undefined }[] = [];
  for (const p of panelsOf(d)) {
    if (p.type === 'row') continue;
    refs.push({ where: `panel "${p.title}"`, ref: p.datasource });
    for (const t of p.targets ?? []) refs.push({ where: `panel "${p.title}" target ${t.refId}`, ref: t.datasource });
  }
  for (const v of d.templating.list) if (v.type === 'query') refs.push({ where: `variable $${v.name}`, ref: v.datasource });
  for (const a of d.annotations.list) if (!a.builtIn) refs.push({ where: `annotation "${a.name}"`, ref: a.datasource });
  return refs;
}

export function variableQuery(v: Variable): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
}

/** Current values of the template variables: several for multi-value and "All". */
export type VariableValues = Map<string, { values: string[] }>;

export interface TimeRange {
  from: number;
  to: number;
}

/** `now-1h`, `now-400d`, `now`: the only forms our dashboards use. */
export function parseRelative(expr: string, now: number): number {
  if (expr === 'now') return now;
  const m = /^now-(\d+)(ms|s|m|h|d|w|y)$/.exec(expr);
  if (!m) throw new Error(`time expression "${expr}" is not of the form now-<n><unit>`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, y: 365 * 86400e3 }[m[2] as 'ms'];
  return now - Number(m[1]) * unit;
}

/** The range a panel queries: the dashboard's, or the panel's relative-time override (`timeFrom`). */
export function panelRange(d: Dashboard, p: Panel | null, now: number): TimeRange {
  const from = p?.timeFrom ? parseRelative(`now-${p.timeFrom}`, now) : parseRelative(d.time.from, now);
  return { from, to: parseRelative(d.time.to, now) };
}

/** Grafana's kbn.roundInterval: the interval rounded to a "nice" step. */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, step] of steps) if (ms < below) return step;
  return 31536000000;
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`interval "${text}" is not of the form <n>ms|s|m|h|d`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 'ms'];
}

/** Grafana's rangeUtil.calculateInterval: range / data points, rounded, at least the minimum interval. */
export function intervalMs(range: TimeRange, panel: Panel | null, datasourceMinInterval: string | undefined, defaultDataPoints = 1000): number {
  const raw = roundInterval((range.to - range.from) / (panel?.maxDataPoints ?? defaultDataPoints));
  const min = panel?.interval ?? datasourceMinInterval;
  return min ? Math.max(raw, parseDuration(min)) : raw;
}

/** The Go backend's gtime.FormatInterval. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [86400e3, 'd'],
    [3600e3, 'h'],
    [60e3, 'm'],
    [1e3, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${Math.max(1, Math.floor(ms))}ms`;
}

const escapeRegex = (s: string): string => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/**
 * The query InfluxDB receives. Throws when a `$name` is left that Grafana would not know (a typo
 * in the dashboard would otherwise reach InfluxDB as a literal and fail or match nothing).
 */
export function interpolate(query: string, vars: VariableValues, range: TimeRange, interval: number): string {
  const timeFilter = `time >= ${Math.floor(range.from)}ms and time <= ${Math.floor(range.to)}ms`;
  const builtins: Record<string, string> = {
    timeFilter,
    __timeFilter: timeFilter,
    __interval_ms: String(interval),
    __interval: formatInterval(interval),
    interval: formatInterval(interval),
    __range_ms: String(range.to - range.from),
    __range_s: String(Math.floor((range.to - range.from) / 1000)),
    __range: formatInterval(range.to - range.from),
    __from: String(Math.floor(range.from)),
    __to: String(Math.floor(range.to)),
  };
  // Where the regex literals of `=~ /…/` and `!~ /…/` are: a variable there is regex-escaped.
  const regexSpans = [...query.matchAll(/[=!]~\s*\/((?:\\.|[^/\\])*)\//g)].map((m) => [m.index!, m.index! + m[0].length]);
  const inRegex = (offset: number): boolean => regexSpans.some(([start, end]) => offset > start! && offset < end!);
  const out = query.replace(
    /\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g,
    (match, a: string | undefined, b: string | undefined, c: string | undefined, offset: number) => {
      const name = (a ?? b ?? c)!;
      if (builtins[name] !== undefined) return builtins[name];
      const v = vars.get(name);
      if (!v) throw new Error(`unknown variable ${match}`);
      if (!inRegex(offset)) {
        if (v.values.length !== 1) throw new Error(`variable ${match} has ${v.values.length} values outside a regex`);
        return v.values[0]!;
      }
      const escaped = v.values.map(escapeRegex);
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    },
  );
  const left = /\$\{[^}]*\}|\[\[[^\]]*\]\]/.exec(out);
  if (left) throw new Error(`variable ${left[0]} is not in a form Grafana interpolates here`);
  return out;
}

/** The panel names Grafana shows for a series with an alias: `$col`, `$tag_x`, `$m`. */
export function aliasTags(alias: string): string[] {
  return [...alias.matchAll(/\$tag_(\w+)|\[\[tag_(\w+)\]\]/g)].map((m) => (m[1] ?? m[2])!);
}
