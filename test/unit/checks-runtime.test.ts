/**
 * Intermediate checks at run time, against hand-computed references: the verdicts (En, MPE,
 * redundancy with its minimum duration), the CUSUM's detection delay on a known drift, the chart
 * state kept across a restart, and the automatic quarantine with its suspect period since the
 * last passed check, on a real calibration engine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CalEvent } from '../../gateway/calibration/cal-event.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { loadManualStatuses, MANUAL_FILE, saveManualStatuses } from '../../gateway/calibration/manual-status-file.js';
import { checkChecksConfig, type CheckConfig } from '../../gateway/checks/check-config.js';
import { judgeEn, judgeMpe, judgeRedundancy } from '../../gateway/checks/check-judge.js';
import { CheckInputError, CheckRunner } from '../../gateway/checks/check-runner.js';
import { driftDetectionDelay, runCusum } from '../../gateway/checks/cusum.js';
import { silentLogger } from '../../gateway/log.js';
import type { ReadingBatch } from '../../gateway/reading.js';
import type { ReadingListener } from '../../gateway/pipeline.js';
import { BATH, reading, record } from '../support/calibration-fixture.js';

const T0 = new Date('2026-06-01T10:00:00').getTime();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STANDARD: CheckConfig = {
  id: 'resistor',
  instrument: 'bath',
  channel: 'temperature',
  standard: { value: 100, U: 0.0015, rule: 'en' },
  chart: { baseline: 3 },
  cusum: { k: 0.5, h: 5 },
  quarantineOn: ['fail', 'WE1', 'CUSUM'],
};
const PAIR: CheckConfig = {
  id: 'pair',
  instrument: 'bath',
  channel: 'temperature',
  redundancy: { channel: 'power', k: 2, minDurationMs: 2000, maxSkewMs: 100 },
  chart: { baseline: 20, centre: 0, sigma: 0.01 },
  cusum: { k: 0.5, h: 5 },
  quarantineOn: ['fail'],
};

/** A runner on a real engine; `feed` hands it a batch as the pipeline would. */
function rig(series: CheckConfig[], dir = mkdtempSync(join(tmpdir(), 'mg-checks-'))) {
  dirs.push(dir);
  const now = { t: T0 };
  const engine = new CalibrationEngine({
    site: 'lab',
    instruments: [BATH],
    log: silentLogger(),
    now: () => now.t,
    records: [record({ certificate: 'C-1', calibrated: '2026-01-10', due: '2027-01-10', range: { min: 0, max: 200 } })],
  });
  const events: CalEvent[] = [];
  const published: CalEvent[] = [];
  engine.onEvent((e) => events.push(e));
  // What the running gateway's readings and calendar tick do: note the status transitions start from.
  engine.tick();
  let listener: ReadingListener = () => {};
  const runner = new CheckRunner({
    site: 'lab',
    checks: { dir, series },
    engine,
    publish: (e) => published.push(e),
    log: silentLogger(),
    now: () => now.t,
    onReadings: (l) => ((listener = l), () => {}),
  });
  runner.start();
  const feed = (ts: number, values: Record<string, number>, u = 0.001) => {
    const batch: ReadingBatch = { site: 'lab', instrument: 'bath', readings: Object.entries(values).map(([ch, v]) => ({ ...reading(ts, v, ch), u, k: 2 })) };
    listener(batch);
  };
  return { dir, now, engine, events, published, runner, feed };
}

describe('check verdicts', () => {
  it('En = |x − x_ref| / √(U² + U_ref²): 0.003 / √(0.002² + 0.0015²) = 1.2 fails', () => {
    expect(judgeEn(100.003, 0.002, 100, 0.0015)).toMatchObject({ rule: 'En', limit: 1, within: false });
    expect(judgeEn(100.003, 0.002, 100, 0.0015).score).toBeCloseTo(1.2, 9);
    expect(judgeEn(100.002, 0.002, 100, 0.0015).score).toBeCloseTo(0.8, 9);
    expect(() => judgeEn(1, 0, 1, 0)).toThrow(/needs an uncertainty/);
  });

  it('|E| ≤ MPE, and the redundancy limit k·√(u1² + u2²)', () => {
    expect(judgeMpe(100.04, 100, 0.05)).toMatchObject({ within: true, limit: 0.05 });
    expect(judgeMpe(100.06, 100, 0.05).within).toBe(false);
    const r = judgeRedundancy(25.05, 0.02, 25, 0.015, 2);
    expect(r.limit).toBeCloseTo(0.05, 12); // 2·√(0.0004 + 0.000225) = 2·0.025
    expect(r.score).toBeCloseTo(0.05, 12);
  });

  it('the CUSUM signals a drift of 0.2 σ per result at result 10 (k = 0.5, h = 5), as runCusum does on the series', () => {
    // C⁺: 0, 0, 0.1, 0.4, 0.9, 1.6, 2.5, 3.6, 4.9, 6.4 > 5
    expect(driftDetectionDelay(0.2, { k: 0.5, h: 5 })).toBe(10);
    const series = Array.from({ length: 20 }, (_, i) => 0.2 * (i + 1));
    expect(runCusum(series, { centre: 0, sigma: 1 }, { k: 0.5, h: 5 }).signal?.at).toBe(9);
    expect(driftDetectionDelay(0, { k: 0.5, h: 5 })).toBe(Infinity);
  });
});

describe('check runner', () => {
  it("an operator's failed check quarantines the instrument at once and reports the readings since the last passed check", () => {
    const { runner, engine, events, published, now, feed } = rig([STANDARD]);
    feed(T0 - 1000, { temperature: 100.001 });
    const passed = runner.record('resistor', { by: 'alice' });
    expect(passed).toMatchObject({ verdict: 'pass', measured: 100.001, U: 0.002, reference: 100, referenceU: 0.0015, by: 'alice', passed: true, n: 1 });
    expect(passed.score).toBeCloseTo(0.4, 9);
    now.t = T0 + 3_600_000;
    const failed = runner.record('resistor', { measured: 100.01 });
    // No U given with a typed-in value: En on the standard's U alone, 0.01 / 0.0015.
    expect(failed).toMatchObject({ verdict: 'fail', tripped: ['fail'], quarantined: true, passed: false });
    expect(engine.statusOf('bath')).toMatchObject({
      status: 'quarantined',
      traceable: false,
      reason: expect.stringContaining('check resistor: En 6.67 > 1.00'),
    });
    const suspect = events.find((e) => e.kind === 'suspect')!;
    expect(suspect).toMatchObject({ check: 'resistor', suspectFrom: T0, suspectTo: T0 + 3_600_000, to: 'quarantined', certificate: 'C-1' });
    expect(events.find((e) => e.kind === 'transition')).toMatchObject({ from: 'valid', to: 'quarantined' });
    expect(published.map((e) => [e.kind, e.result?.verdict])).toEqual([
      ['check', 'pass'],
      ['check', 'fail'],
    ]);
    // A second failure while quarantined: stored and published, no second quarantine or report.
    now.t += 1000;
    expect(runner.record('resistor', { measured: 100.02 }).quarantined).toBe(false);
    expect(events.filter((e) => e.kind === 'suspect')).toHaveLength(1);
  });

  it('refuses what it cannot judge, with the reason', () => {
    const { runner } = rig([STANDARD, PAIR]);
    expect(() => runner.record('nope', {})).toThrow(new CheckInputError('no check "nope" in this gateway\'s config', 404));
    expect(() => runner.record('pair', { measured: 1 })).toThrow(/redundancy check: its results come from the readings/);
    expect(() => runner.record('resistor', {})).toThrow(/no measured value given and no reading of bath.temperature/);
  });

  it('a redundancy difference over its limit counts only after the minimum duration', () => {
    const { runner, engine, feed } = rig([PAIR]);
    // limit = 2·√(0.001² + 0.001²) = 0.00283
    feed(T0, { temperature: 25.001, power: 25 });
    feed(T0 + 1000, { temperature: 25.01, power: 25 });
    feed(T0 + 2000, { temperature: 25.01, power: 25 });
    expect(engine.statusOf('bath').status).toBe('valid');
    feed(T0 + 3000, { temperature: 25.01, power: 25 });
    expect(runner.results('pair', 10)!.map((r) => r.verdict)).toEqual(['pass', 'pending', 'pending', 'fail']);
    expect(engine.statusOf('bath').status).toBe('quarantined');
  });

  it('the control chart continues after a restart: its baseline, n and CUSUM come from the state file', () => {
    const first = rig([STANDARD]);
    first.runner.record('resistor', { measured: 100.0002 });
    first.runner.record('resistor', { measured: 99.9998 });
    const again = rig([STANDARD], first.dir);
    const third = again.runner.record('resistor', { measured: 100.0001 });
    expect(third.n).toBe(3);
    const [summary] = again.runner.summaries();
    expect(summary!.chart).toMatchObject({ n: 3, limitsFrom: 'baseline' });
    // The chart plots x − x_ref. Centre and moving-range σ of the three (ISO 7870-2):
    // mean of 0.0002, −0.0002, 0.0001 = 0.0000333, MR̄ = (0.0004 + 0.0003)/2 = 0.00035, σ = MR̄/1.128.
    expect(summary!.chart.centre).toBeCloseTo(0.0000333, 7);
    expect(summary!.chart.sigma).toBeCloseTo(0.00035 / 1.128, 9);
    expect(readFileSync(join(first.dir, 'resistor.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('a broken state file is refused with its path, not quietly restarted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-checks-'));
    writeFileSync(join(dir, 'resistor.state.json'), '{"v":2}');
    expect(() => rig([STANDARD], dir)).toThrow(`${join(dir, 'resistor.state.json')}: not a metrogate control-chart state`);
  });
});

describe('a quarantine outlives a restart', () => {
  it('the engine keeps manual statuses in the records dir and starts with them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-manual-'));
    dirs.push(dir);
    const opts = {
      site: 'lab',
      instruments: [BATH],
      log: silentLogger(),
      now: () => T0,
      records: [record({ certificate: 'C-1', calibrated: '2026-01-10', due: '2027-01-10', range: { min: 0, max: 200 } })],
    };
    const engine = new CalibrationEngine({ ...opts, persistManual: (s) => saveManualStatuses(dir, s) });
    engine.setManualStatus({ instrument: 'bath', status: 'quarantined', reason: 'check failed', by: 'checks' });
    const restarted = new CalibrationEngine({ ...opts, manual: loadManualStatuses(dir) });
    expect(restarted.statusOf('bath')).toMatchObject({ status: 'quarantined', reason: 'quarantined: check failed (by checks)' });
    restarted.setManualStatus({ instrument: 'bath', status: null, reason: 'ok' });
    writeFileSync(join(dir, MANUAL_FILE), '{"v":1,"instruments":{"bath":{"status":"gone"}}}');
    expect(() => loadManualStatuses(dir)).toThrow(/instruments\.bath: expected/);
  });
});

describe('checks config', () => {
  it('names unknown instruments and channels, a check of neither kind, and an MPE rule without an MPE', () => {
    const bad: CheckConfig[] = [
      { ...STANDARD, id: 'a', instrument: 'ghost' },
      { ...STANDARD, id: 'b', standard: { rule: 'mpe' } },
      { ...PAIR, id: 'c', redundancy: { ...PAIR.redundancy!, channel: 'temperature' } },
      { id: 'd', instrument: 'bath', channel: 'nope', quarantineOn: ['fail'] },
    ];
    expect(checkChecksConfig({ dir: '.', series: bad }, [BATH])).toEqual([
      { at: ['series', 0, 'channel'], message: 'no instrument "ghost" in instruments' },
      { at: ['series', 1, 'standard'], message: "give the check standard's `value` and `U`, or a `reference` channel" },
      { at: ['series', 1, 'standard', 'mpe'], message: 'rule mpe needs `mpe`' },
      { at: ['series', 2, 'redundancy', 'channel'], message: 'a channel is not redundant with itself' },
      { at: ['series', 3, 'channel'], message: 'instrument bath has no channel "nope"' },
      { at: ['series', 3], message: 'give exactly one of `standard` or `redundancy`' },
    ]);
  });
});
