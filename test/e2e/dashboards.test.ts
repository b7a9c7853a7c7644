import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { demoLab, localDate, ROOT } from '../support/e2e-fixture.js';
import { aliasTags, datasourceRefs, loadDashboards, panelsOf } from '../support/grafana-dashboards.js';
import { datasources, influxDs, runDashboard, tableProblems, type Run } from '../support/grafana-run.js';
import { hasData, influxSeries, rowsOf } from '../support/influx-query.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until } from '../support/until.js';

const dashboards = loadDashboards(join(ROOT, 'dashboards/json'));

/** The intermediate checks dashboard needs a gateway with checks: it runs on data of its own (dashboard-checks.test.ts). */
const CHECKS_UID = 'metrogate-checks';

/**
 * Where Grafana would take a variable's first value, the test picks what a user looking at the
 * calibrated bath would: its temperature channel, the one whose certificate gives an uncertainty.
 * Everything else is Grafana's default: "All" where a variable offers it, else the first value.
 */
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
    certificate: 'E2E-BATH',
    instrument: 'bath-01',
    kind: 'calibration',
    calibrated: localDate(-100),
    due: localDate(200),
    unit: '°C',
    errorTable: [
      { reference: 20, indication: 20 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
      { reference: 30, indication: 30 + BATH_ERROR, error: BATH_ERROR, U: 0.02, k: 2 },
    ],
    resolution: 0.001,
    traceability: [{ standard: 'SPRT E2E', certificate: 'E2E-SPRT' }],
    source: 'api',
  };
}

describe('Grafana dashboards: the files', () => {
  it('are five dashboards, each with its own uid, title and panel ids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'metrogate-calibration-board',
      CHECKS_UID,
      'metrogate-gateway-health',
      'metrogate-instrument-detail',
      'metrogate-site-overview',
    ]);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
    for (const { file, json } of dashboards) {
      const ids = panelsOf(json).map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      expect(
        json.templating.list.map((v) => v.name),
        file,
      ).toEqual(expect.arrayContaining(['site']));
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
      panelsOf(json).flatMap((p) => (p.targets ?? []).filter((t) => t.rawQuery !== true || !t.query || t.hide).map((t) => `${file}: "${p.title}" ${t.refId}`)),
    );
    expect(notRaw).toEqual([]);
  });
});

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
    config.ingest = {
      enabled: true,
      sites: [config.site],
      sessionExpirySeconds: 3600,
      maxAgeDays: 400,
      maxAheadMinutes: 60,
      repair: { enabled: true, checkIntervalMs: 300, graceMs: 3000, retryMs: 2000, maxAttempts: 10, maxRangeReadings: 500 },
    };
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
    await until(() => gateway.ingest!.repairs()!.repairedReadings > 0, 'gap repair to re-store the deleted readings', {
      observe: () => gateway.ingest!.repairs(),
    });
    // The ingest forgets its connection (and the repair counts with it) when it stops.
    repairsCounted = { ...gateway.ingest!.repairs()! };
    await gateway.stop();

    // The checks dashboard runs on a gateway with checks configured (below).
    for (const { json } of dashboards.filter((d) => d.json.uid !== CHECKS_UID))
      runs.set(json.uid, await runDashboard(json, { url: url(), database: db() }, SELECTED));
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

  it("the variables offer the demo lab: its site, its four instruments, the bath's channels", () => {
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

  it("instrument detail: the bath's corrected temperature inside a band of U = k·u once its certificate came, and the correction", () => {
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

  it("instrument detail: every bad reading of the bath's temperature, with its reason", async () => {
    const notGood = rows('metrogate: instrument detail / "Readings that were not good" / A');
    const [bad] = await influxSeries(
      url(),
      db(),
      `SELECT count("seq") FROM "reading" WHERE "instrument" = 'bath-01' AND "channel" = 'temperature' AND "quality" = 'bad'`,
    );
    expect(notGood.length).toBe(Math.min(100, rowsOf([bad!])[0]!.count as number));
    for (const r of notGood) expect(r).toMatchObject({ channel: 'temperature', quality: 'bad', reason: expect.stringMatching(/^exception:4 /) });
  });

  it("instrument detail: the certificate's arrival as an annotation, with the transition as text and tags", () => {
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
    expect([...notTraceableByStatus.keys()].sort()).toEqual([
      'balance-01 expired',
      'bath-01 uncalibrated',
      'bath-01 valid',
      'dmm-01 uncalibrated',
      'pressure-01 due_soon',
    ]);
    const table = rows('metrogate: calibration board / "Calibration status by instrument and channel" / A');
    expect(table.find((r) => r.instrument === 'bath-01' && r.channel === 'temperature')).toMatchObject({
      cal_status: 'valid',
      certificate: 'E2E-BATH',
      traceable: true,
    });
    expect(table.find((r) => r.instrument === 'balance-01' && r.channel === 'mass')).toMatchObject({
      cal_status: 'expired',
      certificate: 'E2E-EXPIRED',
      traceable: false,
    });
    expect(table.find((r) => r.instrument === 'dmm-01' && r.channel === 'voltage')).toMatchObject({ cal_status: 'uncalibrated', traceable: false });
    const events = rows('metrogate: calibration board / "Certificates and calibration events (last 400 days)" / A');
    expect(events).toEqual([expect.objectContaining({ instrument: 'bath-01', to_status: 'valid', certificate: 'E2E-BATH', due: localDate(200) })]);
    // The instrument summary from the retained statuses: what the gateway last said per instrument.
    const summary = rows('metrogate: calibration board / "Instrument calibration (worst of its channels with a record)" / A');
    expect(Object.fromEntries(summary.map((r) => [r.instrument, [r.status, r.certificate, r.traceable]]))).toEqual({
      'bath-01': ['valid', 'E2E-BATH', 1],
      'pressure-01': ['due_soon', 'E2E-SOON', 1],
      'balance-01': ['expired', 'E2E-EXPIRED', 0],
      'dmm-01': ['uncalibrated', '', 0],
    });
  });

  it("gateway health: the readings gap repair asked for and got back, and each instrument's last accepted seq", () => {
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

  it("gateway health: the gateway's latest totals, and its rates", () => {
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
