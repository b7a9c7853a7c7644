import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { demoLab, localDate, ROOT } from '../support/e2e-fixture.js';
import {
  aliasTags, datasourceRefs, interpolate, intervalMs, loadDashboards, panelRange, panelsOf, repeatOf, variableQuery,
  type Dashboard, type Panel, type VariableValues,
} from '../support/grafana-dashboards.js';
import { hasData, influxSeries, rowsOf, type InfluxSeries } from '../support/influx-query.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until } from '../support/until.js';

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  jsonData?: { dbName?: string; version?: string; timeInterval?: string };
}

const dashboards = loadDashboards(join(ROOT, 'dashboards/json'));
const datasourceDir = join(ROOT, 'dashboards/provisioning/datasources');
const datasources: ProvisionedDatasource[] = readdirSync(datasourceDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => (parse(readFileSync(join(datasourceDir, f), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources);
const influxDs = datasources.find((d) => d.type === 'influxdb')!;

/**
 * Where Grafana would take a variable's first value, the test picks what a user looking at the
 * calibrated bath would: its temperature channel, the one whose certificate gives an uncertainty.
 * Everything else is Grafana's default: "All" where a variable offers it, else the first value.
 */
/** The intermediate checks dashboard: it needs a gateway with checks, so it runs on data of its own. */
const CHECKS_UID = 'metrogate-checks';

const SELECTED: Record<string, Record<string, string[]>> = {
  'metrogate-instrument-detail': { instrument: ['bath-01'], channel: ['temperature'] },
};

/** bath-01's certificate in this test: a constant error of +0.015 °C, U = 0.02 °C (k = 2), 1 mK resolution. */
const BATH_ERROR = 0.015;
const BATH_U = Math.sqrt(0.01 ** 2 + (0.001 / (2 * Math.sqrt(3))) ** 2);
const BATH_SERVED = 25;

/** Imported while the gateway runs (as by the API or a DCC import): the bath turns from uncalibrated to valid. */
function bathCertificate(): CalibrationRecord {
  return {
    certificate: 'E2E-BATH', instrument: 'bath-01', kind: 'calibration', calibrated: localDate(-100), due: localDate(200), unit: '°C',
    errorTable: [
      { reference: 20, indication: 20 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
      { reference: 30, indication: 30 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
    ],
    resolution: 0.001, traceability: [{ standard: 'SPRT E2E', certificate: 'E2E-SPRT' }], source: 'api',
  };
}

describe('Grafana dashboards: the files', () => {
  it('are five dashboards, each with its own uid, title and panel ids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'metrogate-calibration-board', CHECKS_UID, 'metrogate-gateway-health', 'metrogate-instrument-detail', 'metrogate-site-overview',
    ]);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
    for (const { file, json } of dashboards) {
      const ids = panelsOf(json).map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      expect(json.templating.list.map((v) => v.name), file).toEqual(expect.arrayContaining(['site']));
    }
  });

  it('refer to no datasource but the provisioned InfluxDB (InfluxQL)', () => {
    expect(datasources).toHaveLength(1);
    expect(influxDs).toMatchObject({ uid: 'metrogate-influxdb', jsonData: { version: 'InfluxQL', dbName: 'metrogate' } });
    const wrong = dashboards.flatMap(({ file, json }) =>
      datasourceRefs(json)
        .filter(({ ref }) => typeof ref !== 'object' || ref.uid !== influxDs.uid || ref.type !== influxDs.type)
        .map(({ where, ref }) => `${file}: ${where} → ${JSON.stringify(ref)}`),
    );
    expect(wrong).toEqual([]);
  });

  it('hold raw InfluxQL in every target, so what this test runs is what Grafana sends', () => {
    const notRaw = dashboards.flatMap(({ file, json }) =>
      panelsOf(json).flatMap((p) =>
        (p.targets ?? []).filter((t) => t.rawQuery !== true || !t.query || t.hide).map((t) => `${file}: "${p.title}" ${t.refId}`),
      ),
    );
    expect(notRaw).toEqual([]);
  });
});

interface Run {
  /** Dashboard / panel title / refId, for the failure message. */
  where: string;
  query: string;
  series: InfluxSeries[];
  error?: string;
  /** The panel and target alias it ran for (not for variables and annotations). */
  panel?: Panel;
  alias?: string;
}

async function execute(db: { url: string; database: string }, where: string, query: string): Promise<Run> {
  try {
    return { where, query, series: await influxSeries(db.url, db.database, query) };
  } catch (err) {
    return { where, query, series: [], error: (err as Error).message };
  }
}

/** Every variable, annotation and panel query of one dashboard, interpolated as Grafana does. */
async function runDashboard(d: Dashboard, db: { url: string; database: string }): Promise<Run[]> {
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
    const chosen = SELECTED[d.uid]?.[v.name] ?? (v.includeAll ? values : values.slice(0, 1));
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
function tableProblems(json: Dashboard, ran: Run[]): string[] {
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
      if (o.matcher.id === 'byName' && !shown.has(o.matcher.options)) problems.push(`${json.title} / "${p.title}": override for missing column ${o.matcher.options}`);
    }
  }
  return problems;
}

describe('Grafana dashboards on the data of the end-to-end pipeline', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  const runs = new Map<string, Run[]>();
  const panelRuns = new Map<string, Run>();
  const scratch = mkdtempSync(join(tmpdir(), 'metrogate-dashboards-'));
  /** Readings the gateway tagged not traceable, per instrument: what the calibration board must count. */
  const notTraceable = new Map<string, number>();
  /** The same by instrument and status: a valid instrument's reading outside what its record covers counts too. */
  const notTraceableByStatus = new Map<string, number>();
  /** What gap repair had asked for and got back when the gateway stopped. */
  let repairsCounted: { requestedReadings: number; repairedReadings: number };

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    // The spool, the calibration records the gateway keeps and its reports go to a scratch folder.
    config.spool = { ...(config.spool ?? DEFAULT_SPOOL), dir: join(scratch, 'spool') };
    config.calibration = { ...config.calibration, recordsDir: join(scratch, 'records'), reportsDir: join(scratch, 'reports') };
    const bath = config.instruments.find((i) => i.id === 'bath-01')!;
    delete bath.calibration;
    // Gap repair checks often, so that the readings removed below are found and re-sent in time.
    config.ingest = { enabled: true, sites: [config.site], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60, repair: { enabled: true, checkIntervalMs: 300, graceMs: 3000, retryMs: 2000, maxAttempts: 10, maxRangeReadings: 500 } };
    sim.device('bath-01').set('temperature', BATH_SERVED);
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    gateway.pipeline.onReadings((batch) => {
      const n = batch.readings.filter((r) => !r.cal.traceable).length;
      notTraceable.set(batch.instrument, (notTraceable.get(batch.instrument) ?? 0) + n);
      for (const r of batch.readings) {
        const key = `${batch.instrument} ${r.cal.status}`;
        if (!r.cal.traceable) notTraceableByStatus.set(key, (notTraceableByStatus.get(key) ?? 0) + 1);
      }
    });
    await gateway.start();
    await sleep(2500);
    await gateway.calibration.addRecord(bathCertificate());
    await sleep(2500);
    // A device that answers an exception for a while: bad readings for the quality panels.
    sim.device('bath-01').setFaults({ exception: { code: 4, function: 'input', address: 0, quantity: 2 } });
    await sleep(1000);
    sim.device('bath-01').clearFaults();
    // Storage loses the pressure gauge's last second (as after an InfluxDB restore from an older
    // backup): newer than any last seq gap repair counts yet, so it finds the hole and has it re-sent.
    await influxSeries(url(), db(), `DELETE FROM "reading" WHERE "instrument" = 'pressure-01' AND time > now() - 1s`);
    // Long enough for gateway_stats (every second here) to fill two of the health panels' 10 s buckets.
    await sleep(7000);
    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + (c.delivered.mqtt ?? 0), 0);
    await untilStoredReadings(config.influx!, published);
    // Gap repair re-stores what was deleted; a wait that ends means it did.
    await until(() => gateway.ingest!.repairs()!.repairedReadings > 0, 'gap repair to re-store the deleted readings', { observe: () => gateway.ingest!.repairs() });
    // The ingest forgets its connection (and the repair counts with it) when it stops.
    repairsCounted = { ...gateway.ingest!.repairs()! };
    await gateway.stop();

    // The checks dashboard runs on a gateway with checks configured (below).
    for (const { json } of dashboards.filter((d) => d.json.uid !== CHECKS_UID)) runs.set(json.uid, await runDashboard(json, { url: url(), database: db() }));
    for (const list of runs.values()) for (const r of list) panelRuns.set(r.where, r);
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const db = () => config.influx!.database;
  const url = () => config.influx!.url;

  const allRuns = () => [...runs.values()].flat();
  const rows = (where: string) => {
    const r = panelRuns.get(where);
    if (!r) throw new Error(`no query ran for ${where}; ran: ${[...panelRuns.keys()].join(', ')}`);
    return rowsOf(r.series);
  };
  const counter = (id: string) => gateway.pipeline.counters.get(id)!;

  it('every panel, variable and annotation query runs without error and returns data', () => {
    const failures = allRuns()
      .filter((r) => r.error !== undefined || !hasData(r.series))
      .map((r) => `${r.where}: ${r.error ?? 'no data'}\n    ${r.query}`);
    expect(failures).toEqual([]);
    expect(allRuns().length).toBeGreaterThan(40);
  });

  it('the variables offer the demo lab: its site, its four instruments, the bath\'s channels', () => {
    const values = (where: string) => rows(where).map((r) => r.value);
    expect(values('metrogate: site overview / variable $site')).toEqual([config.site]);
    expect(values('metrogate: site overview / variable $instrument')).toEqual(['balance-01', 'bath-01', 'dmm-01', 'pressure-01']);
    expect(values('metrogate: instrument detail / variable $channel')).toEqual(['circulating', 'heater_power', 'setpoint', 'temperature']);
    expect(values('metrogate: gateway health / variable $gateway')).toEqual(['e2e-gw']);
  });

  it('legends name real tags: every $tag_x of an alias is a tag the query groups by', () => {
    const missing = allRuns().flatMap((r) =>
      aliasTags(r.alias ?? '')
        .filter((tag) => r.series.some((s) => s.tags?.[tag] === undefined))
        .map((tag) => `${r.where}: alias ${r.alias} needs GROUP BY "${tag}"`),
    );
    expect(missing).toEqual([]);
  });

  it('table overrides and renames name columns the queries return', () => {
    expect(dashboards.filter((x) => x.json.uid !== CHECKS_UID).flatMap(({ json }) => tableProblems(json, allRuns()))).toEqual([]);
  });

  it('site overview: four instruments, each counted under every calibration status it reported, quality as the gateway counted it', () => {
    expect(rows('metrogate: site overview / "Instruments reporting" / A')[0]!.instruments).toBe(4);
    // The bath reported uncalibrated until its certificate came, then valid: it counts under both.
    const byStatus = Object.fromEntries(rows('metrogate: site overview / "Instruments by calibration status" / A').map((r) => [r.cal_status, r.count]));
    expect(byStatus).toEqual({ valid: 1, due_soon: 1, expired: 1, uncalibrated: 2 });

    const polled = config.instruments.reduce((n, i) => n + counter(i.id).polled, 0);
    const notGood = config.instruments.reduce((n, i) => n + counter(i.id).notGood, 0);
    expect(notGood).toBeGreaterThan(0);
    const share = Object.fromEntries(rows('metrogate: site overview / "Quality share" / A').map((r) => [r.quality, r.count]));
    expect(share).toEqual({ good: polled - notGood, bad: notGood });

    const live = rows('metrogate: site overview / "Live values" / A');
    expect(live).toHaveLength(config.instruments.reduce((n, i) => n + i.channels.length, 0));
    const temperature = live.find((r) => r.instrument === 'bath-01' && r.channel === 'temperature')!;
    expect(temperature).toMatchObject({ quality: 'good', cal_status: 'valid', certificate: 'E2E-BATH', k: 2 });
    expect(temperature.value).toBeCloseTo(BATH_SERVED - BATH_ERROR, 9);
    expect(temperature.u).toBeCloseTo(BATH_U, 9);
    expect(live.find((r) => r.instrument === 'dmm-01' && r.channel === 'serial')!.text).toEqual(expect.any(String));
  });

  it('instrument detail: the bath\'s corrected temperature inside a band of U = k·u once its certificate came, and the correction', () => {
    const value = new Map(rows('metrogate: instrument detail / "temperature: value ± U" / A').map((r) => [r.time, r.value as number]));
    const band = rows('metrogate: instrument detail / "temperature: value ± U" / B').filter((r) => r['value - U'] !== null);
    expect(band.length).toBeGreaterThan(0);
    for (const b of band) {
      const v = value.get(b.time)!;
      expect(v - (b['value - U'] as number)).toBeCloseTo(2 * BATH_U, 9);
      expect((b['value + U'] as number) - v).toBeCloseTo(2 * BATH_U, 9);
    }
    expect([...value.values()].at(-1)).toBeCloseTo(BATH_SERVED - BATH_ERROR, 9);

    // Uncalibrated at first (value = raw), corrected by −E once the certificate is in force.
    const corrections = rows('metrogate: instrument detail / "temperature: raw vs corrected" / A');
    for (const r of corrections) expect(r.raw).toBe(BATH_SERVED);
    expect(corrections[0]!.correction as number).toBeGreaterThan(-BATH_ERROR + 1e-6);
    expect(corrections.at(-1)!.correction).toBeCloseTo(-BATH_ERROR, 9);
  });

  it('instrument detail: every bad reading of the bath\'s temperature, with its reason', async () => {
    const notGood = rows('metrogate: instrument detail / "Readings that were not good" / A');
    const [bad] = await influxSeries(url(), db(), `SELECT count("seq") FROM "reading" WHERE "instrument" = 'bath-01' AND "channel" = 'temperature' AND "quality" = 'bad'`);
    expect(notGood.length).toBe(Math.min(100, rowsOf([bad!])[0]!.count as number));
    for (const r of notGood) expect(r).toMatchObject({ channel: 'temperature', quality: 'bad', reason: expect.stringMatching(/^exception:4 /) });
  });

  it('instrument detail: the certificate\'s arrival as an annotation, with the transition as text and tags', () => {
    const anno = dashboards.find((d) => d.json.uid === 'metrogate-instrument-detail')!.json.annotations.list.find((a) => !a.builtIn)!;
    const events = rows('metrogate: instrument detail / annotation "Calibration events"');
    expect(events).toEqual([expect.objectContaining({ instrument: 'bath-01', from_status: 'uncalibrated', to_status: 'valid' })]);
    expect(events[0]![anno.target!.textColumn!]).toEqual(expect.stringMatching(/bath-01.*uncalibrated.*valid.*E2E-BATH/));
    for (const tag of anno.target!.tagsColumn!.split(',')) expect(events[0]![tag], `tags column ${tag}`).toEqual(expect.any(String));
  });

  it('calibration board: days to due per certificate, the not-traceable readings the gateway tagged, the certificate events', () => {
    const days = Object.fromEntries(rows('metrogate: calibration board / "Days to due" / A').map((r) => [r.instrument, r.last]));
    expect(days).toEqual({ 'bath-01': 200, 'pressure-01': 10, 'balance-01': -5 });
    const tagged = [...notTraceable.values()].reduce((a, b) => a + b, 0);
    expect(notTraceable.get('bath-01')).toBeGreaterThan(0);
    expect(rows('metrogate: calibration board / "Readings from not-traceable instruments" / A')[0]!.readings).toBe(tagged);
    expect(rows('metrogate: calibration board / "Readings from expired instruments" / A')[0]!.readings).toBe(counter('balance-01').polled);
    const perInstrument = rows('metrogate: calibration board / "Not-traceable readings by instrument and status" / A');
    // bath-01 valid: its heater power (%) is not covered by the °C certificate; pressure-01 due_soon:
    // its `stable` flag is no measurement (cal_reason says which).
    expect(Object.fromEntries(perInstrument.map((r) => [`${r.instrument} ${r.cal_status}`, r.readings]))).toEqual(Object.fromEntries(notTraceableByStatus));
    expect([...notTraceableByStatus.keys()].sort()).toEqual(['balance-01 expired', 'bath-01 uncalibrated', 'bath-01 valid', 'dmm-01 uncalibrated', 'pressure-01 due_soon']);
    const table = rows('metrogate: calibration board / "Calibration status by instrument and channel" / A');
    expect(table.find((r) => r.instrument === 'bath-01' && r.channel === 'temperature')).toMatchObject({ cal_status: 'valid', certificate: 'E2E-BATH', traceable: true });
    expect(table.find((r) => r.instrument === 'balance-01' && r.channel === 'mass')).toMatchObject({ cal_status: 'expired', certificate: 'E2E-EXPIRED', traceable: false });
    expect(table.find((r) => r.instrument === 'dmm-01' && r.channel === 'voltage')).toMatchObject({ cal_status: 'uncalibrated', traceable: false });
    const events = rows('metrogate: calibration board / "Certificates and calibration events (last 400 days)" / A');
    expect(events).toEqual([expect.objectContaining({ instrument: 'bath-01', to_status: 'valid', certificate: 'E2E-BATH', due: localDate(200) })]);
    // The instrument summary from the retained statuses: what the gateway last said per instrument.
    const summary = rows('metrogate: calibration board / "Instrument calibration (worst of its channels with a record)" / A');
    expect(Object.fromEntries(summary.map((r) => [r.instrument, [r.status, r.certificate, r.traceable]]))).toEqual({
      'bath-01': ['valid', 'E2E-BATH', 1], 'pressure-01': ['due_soon', 'E2E-SOON', 1], 'balance-01': ['expired', 'E2E-EXPIRED', 0], 'dmm-01': ['uncalibrated', '', 0],
    });
  });

  it('gateway health: the readings gap repair asked for and got back, and each instrument\'s last accepted seq', () => {
    const repairs: Record<string, number> = {};
    for (const r of rows('metrogate: gateway health / "Gap repair: readings requested, repaired, lost" / A')) {
      repairs[String(r.state)] = (repairs[String(r.state)] ?? 0) + (r.sum as number);
    }
    const counted = repairsCounted;
    expect(repairs.requested).toBe(counted.requestedReadings);
    expect(repairs.repaired).toBe(counted.repairedReadings);
    expect(repairs.lost).toBeUndefined();
    const seqs = rows('metrogate: gateway health / "Last accepted seq per instrument" / A');
    expect(seqs.map((r) => r.instrument).sort()).toEqual(config.instruments.map((i) => i.id).sort());
    for (const r of seqs) {
      // Published every second while polling: at most a second behind what the gateway polled.
      const polled = counter(String(r.instrument)).polled;
      expect(r['last accepted seq'], String(r.instrument)).toBeLessThanOrEqual(polled);
      expect(r['last accepted seq'], String(r.instrument)).toBeGreaterThan(polled / 2);
    }
  });

  it('gateway health: the gateway\'s latest totals, and its rates', () => {
    const latest = rows('metrogate: gateway health / "Gateways: latest report" / A');
    expect(latest.map((r) => r.gateway)).toEqual(['e2e-gw']);
    const polled = config.instruments.reduce((n, i) => n + counter(i.id).polled, 0);
    const errors = gateway.drivers.flatMap((d) => d.stats()).reduce((n, st) => n + st.errors, 0);
    expect(latest[0]!.polled).toBeGreaterThan(0);
    expect(latest[0]!.polled).toBeLessThanOrEqual(polled);
    expect(latest[0]!.published).toBeLessThanOrEqual(latest[0]!.polled as number);
    // The device's exceptions ended seconds before the last report: it carries them all.
    expect(errors).toBeGreaterThan(0);
    expect(latest[0]!.errors).toBe(errors);
    const rates = rows('metrogate: gateway health / "Readings per second: polled, published, written" / A');
    expect(rates.length).toBeGreaterThan(0);
    for (const r of rates) expect(r.polled).toBeGreaterThan(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('Grafana checks dashboard on the results of a running gateway\'s intermediate check', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  const panelRuns = new Map<string, Run>();
  const scratch = mkdtempSync(join(tmpdir(), 'metrogate-dashboards-checks-'));
  /** An operator measures a 25 °C fixed-point cell (U = 0.01 °C) with the bath: four passes, then En 5 quarantines it. */
  const MEASURED = [25.002, 24.998, 25.004, 25.001, 25.05];

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    config.spool = { ...(config.spool ?? DEFAULT_SPOOL), dir: join(scratch, 'spool') };
    config.calibration = { ...config.calibration, recordsDir: join(scratch, 'records'), reportsDir: join(scratch, 'reports') };
    config.checks = {
      dir: join(scratch, 'checks'),
      series: [{
        id: 'bath-cell', instrument: 'bath-01', channel: 'temperature', standard: { value: 25, U: 0.01, rule: 'en' },
        chart: { baseline: 20, centre: 0, sigma: 0.01 }, cusum: { k: 0.5, h: 5 }, quarantineOn: ['fail'],
      }],
    };
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    let bathBatches = 0;
    gateway.pipeline.onReadings((b) => { if (b.instrument === 'bath-01') bathBatches++; });
    await gateway.start();
    // The operator measures a bath the gateway reads: its status is known, so the quarantine is a transition.
    await until(() => bathBatches > 0, 'a reading of the bath', 10_000);
    for (const measured of MEASURED) {
      const r = gateway.checks!.record('bath-cell', { measured, by: 'e2e' });
      // An operator's entry is timed by the clock: two in one millisecond would be one InfluxDB point.
      await until(() => Date.now() > r.ts, 'the next millisecond', 1000);
    }
    const influx = async (q: string) => rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
    await until(async () => (await influx(`SELECT "n" FROM "check_result" WHERE "check" = 'bath-cell'`)).length === MEASURED.length, 'every check_result point stored', 10_000);
    await until(async () => (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'transition' AND "to_status" = 'quarantined'`)).length === 1, 'the quarantine cal_event stored', 10_000);
    // The impact report, then a person's release: the end of the quarantine is an annotation too.
    await until(async () => (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'impact_report'`)).length === 1, 'the impact report cal_event stored', 10_000);
    gateway.calibration.setManualStatus({ instrument: 'bath-01', status: null, reason: 'cell re-measured', by: 'e2e' });
    await until(async () => (await influx(`SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "from_status" = 'quarantined'`)).length === 1, 'the release cal_event stored', 10_000);
    await gateway.stop();
    const checks = dashboards.find((d) => d.json.uid === CHECKS_UID)!.json;
    for (const r of await runDashboard(checks, { url: config.influx!.url, database: config.influx!.database })) panelRuns.set(r.where, r);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const rows = (where: string) => {
    const r = panelRuns.get(where);
    if (!r) throw new Error(`no query ran for ${where}; ran: ${[...panelRuns.keys()].join(', ')}`);
    return rowsOf(r.series);
  };
  const d = 'metrogate: intermediate checks';

  it('every panel, variable and annotation query runs without error and returns data', () => {
    const failures = [...panelRuns.values()]
      .filter((r) => r.error !== undefined || !hasData(r.series))
      .map((r) => `${r.where}: ${r.error ?? 'no data'}\n    ${r.query}`);
    expect(failures).toEqual([]);
    expect(rows(`${d} / variable $check`).map((r) => r.value)).toEqual(['bath-cell']);
    // 2 variables, 1 annotation, 3 tables, 4 panels (5 targets) repeated for the one check.
    const checks = dashboards.find((x) => x.json.uid === CHECKS_UID)!.json;
    expect(tableProblems(checks, [...panelRuns.values()])).toEqual([]);
    expect(panelRuns.size, [...panelRuns.keys()].join('\n')).toBe(2 + 1 + 3 + 5);
  });

  it('the last result, the verdicts and the rules tripped: the failure that quarantined the bath', () => {
    const [last, ...more] = rows(`${d} / "Last result per check" / A`);
    expect(more).toEqual([]);
    expect(last).toMatchObject({ check: 'bath-cell', instrument: 'bath-01', channel: 'temperature', rule: 'En', n: 5, measured: 25.05, reference: 25, reference_u: 0.01, limit: 1, quarantined: 1 });
    expect(last!.score).toBeCloseTo(5, 9);
    expect(String(last!.tripped).split(',')).toContain('fail');
    const verdicts = Object.fromEntries(rows(`${d} / "Results by verdict" / A`).map((r) => [r.verdict, r.results]));
    expect(verdicts).toEqual({ pass: 4, fail: 1 });
    const tripped = rows(`${d} / "Rules tripped" / A`);
    expect(tripped.map((r) => [r.n, r.quarantined])).toEqual([[5, 1]]);
  });

  it('per check: measured vs reference ± U_ref, the score against its limit, the control chart and the CUSUM, point by point', () => {
    const measured = rows(`${d} / "bath-cell: measured vs reference ± U_ref" / A`);
    expect(measured.map((r) => r.measured)).toEqual(MEASURED);
    expect(measured.every((r) => r.reference === 25)).toBe(true);
    for (const r of rows(`${d} / "bath-cell: measured vs reference ± U_ref" / B`)) {
      expect(r['reference - U']).toBeCloseTo(24.99, 9);
      expect(r['reference + U']).toBeCloseTo(25.01, 9);
    }
    const scores = rows(`${d} / "bath-cell: score against its limit" / A`);
    // En = |x − x_ref| / U_ref: the operator's entry carries no U of its own.
    scores.forEach((r, i) => expect(r.score).toBeCloseTo(Math.abs(MEASURED[i]! - 25) / 0.01, 6));
    expect(scores.map((r) => r.limit)).toEqual([1, 1, 1, 1, 1]);
    const chart = rows(`${d} / "bath-cell: control chart" / A`);
    expect(chart).toHaveLength(MEASURED.length);
    chart.forEach((r, i) => {
      expect(r.difference).toBeCloseTo(MEASURED[i]! - 25, 9);
      expect(r).toMatchObject({ centre: 0 });
      expect(r.UCL).toBeCloseTo(0.03, 12);
      expect(r.LCL).toBeCloseTo(-0.03, 12);
    });
    // z = 0.2, −0.2, 0.4, 0.1 stay below k = 0.5: C⁺ 0; then z = 5: C⁺ = 5 − 0.5 = 4.5, below h = 5.
    const cusum = rows(`${d} / "bath-cell: CUSUM" / A`);
    expect(cusum.map((r) => r['C+'] as number).map((c) => Number(c.toFixed(9)))).toEqual([0, 0, 0, 0, 4.5]);
    expect(cusum.every((r) => r['C-'] as number >= 0)).toBe(true);
  });

  it('the quarantine as annotations: the suspect period, the transition, the impact report and the release, each with its sentence', () => {
    const events = rows(`${d} / annotation "Quarantine and release"`);
    expect(events.map((e) => [e.instrument, e.kind, e.from_status, e.to_status])).toEqual([
      ['bath-01', 'suspect', null, 'quarantined'],
      ['bath-01', 'transition', 'valid', 'quarantined'],
      ['bath-01', 'impact_report', null, 'quarantined'],
      ['bath-01', 'transition', 'quarantined', 'valid'],
    ]);
    expect(events[0]!.text).toMatch(/^bath-01\.temperature: readings suspect \(check bath-cell: En 5\.00 > 1\.00 at result 5/);
    expect(events[1]!.text).toMatch(/^bath-01: valid → quarantined \(.*check bath-cell/);
    expect(events[3]!.text).toMatch(/^bath-01: quarantined → valid \(released by e2e: cell re-measured/);
  });
});
