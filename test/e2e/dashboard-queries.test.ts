/**
 * Every panel, variable and annotation query of the shipped dashboards (the checks dashboard
 * aside: dashboard-checks.test.ts), run as Grafana would on the data of an end-to-end pipeline
 * run (test/support/dashboard-pipeline-run.ts), and checked against what the gateway counted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Gateway } from '../../gateway/gateway.js';
import { BATH_ERROR, BATH_SERVED, BATH_U, DashboardPipelineRun, dashboards } from '../support/dashboard-pipeline-run.js';
import { localDate } from '../support/e2e-fixture.js';
import { aliasTags, CHECKS_UID } from '../support/grafana-dashboards.js';
import { tableProblems, type Run } from '../support/grafana-run.js';
import { hasData, influxSeries, rowsOf } from '../support/influx-query.js';

describe('Grafana dashboards on the data of the end-to-end pipeline', () => {
  const pipeline = new DashboardPipelineRun();
  let config: MetrogateConfig;
  let gateway: Gateway;
  let runs: Map<string, Run[]>;
  let panelRuns: Map<string, Run>;
  let notTraceable: Map<string, number>;
  let notTraceableByStatus: Map<string, number>;
  let repairsCounted: { requestedReadings: number; repairedReadings: number };

  beforeAll(async () => {
    await pipeline.run(inject('mqttUrl'), inject('influxUrl'));
    ({ config, gateway, runs, panelRuns, notTraceable, notTraceableByStatus, repairsCounted } = pipeline);
  }, 60_000);

  afterAll(async () => {
    await pipeline.close();
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
