/**
 * One check series at run time: each measurement is judged, charted, stored and published; a
 * failed check or a rule the config names quarantines the instrument from that moment, and the
 * readings since the last passed check are reported suspect (the owning gateway's impact
 * reporter writes the report, as for an as-found failure). Release is a person's act (the API).
 */
import type { CalEvent } from '../calibration/cal-event.js';
import type { ManualStatusChange } from '../calibration/calibration-service.js';
import type { ManualState } from '../calibration/channel-calibration.js';
import type { Logger } from '../log.js';
import type { CalTag } from '../reading.js';
import { chartResult, emptyChart, type ChartOptions, type ChartState } from './check-chart.js';
import type { CheckConfig } from './check-config.js';
import type { Judgement } from './check-judge.js';
import type { CheckResult, CheckVerdict } from './check-result.js';
import type { CheckStore } from './check-store.js';
import { CUSUM_DEFAULTS } from './cusum.js';

/** What checks need of the calibration engine (gateway/calibration/calibration-engine.ts). */
export interface CheckEngine {
  statusOf(instrument: string, channel?: string): CalTag;
  manualStatus(instrument: string): ManualState | null;
  setManualStatus(change: ManualStatusChange): void;
  /** Raises a finding to every event listener (sinks, the impact reporter). */
  report(event: CalEvent): void;
}

export interface SeriesDeps {
  site: string;
  store: CheckStore;
  engine: CheckEngine;
  /** A check result to the sinks that record events. */
  publish: (event: CalEvent) => void;
  log: Logger;
}

export interface Measurement {
  ts: number;
  measured: number;
  U: number | null;
  reference: number;
  referenceU: number;
  by?: string | undefined;
}

export class CheckSeries {
  readonly chart: ChartState;
  readonly chartOptions: ChartOptions;
  last: CheckResult | null = null;
  /** Redundancy: since when the difference has been over its limit. */
  private exceedingSince: number | null = null;

  constructor(
    readonly config: CheckConfig,
    private readonly deps: SeriesDeps,
  ) {
    const c = config.chart;
    this.chartOptions = { baseline: c?.baseline ?? 20, centre: c?.centre, sigma: c?.sigma, cusum: { ...CUSUM_DEFAULTS, ...config.cusum } };
    this.chart = deps.store.loadChart(config.id) ?? emptyChart(this.chartOptions);
    this.last = deps.store.results(config.id, 1)[0] ?? null;
  }

  take(m: Measurement, j: Judgement): CheckResult {
    const { config, chart } = this;
    const verdict = this.verdict(m.ts, j);
    const point = chartResult(chart, m.measured - m.reference, this.chartOptions);
    const tripped: CheckResult['tripped'] = [
      ...(verdict === 'fail' ? ['fail' as const] : []),
      ...point.hits.map((h) => h.rule),
      ...(point.cusumSignal ? ['CUSUM' as const] : []),
    ];
    const quarantining = tripped.filter((t) => (config.quarantineOn as string[]).includes(t));
    const inControl = point.hits.length === 0 && point.cusum.high === 0 && point.cusum.low === 0;
    const result: CheckResult = {
      check: config.id,
      kind: config.redundancy ? 'redundancy' : 'standard',
      instrument: config.instrument,
      channel: config.channel,
      ts: m.ts,
      n: chart.n,
      measured: m.measured,
      reference: m.reference,
      referenceU: m.referenceU,
      U: m.U,
      difference: m.measured - m.reference,
      rule: j.rule,
      score: j.score,
      limit: j.limit,
      verdict,
      z: point.z,
      centre: chart.limits?.centre ?? null,
      sigma: chart.limits?.sigma ?? null,
      cusumHigh: point.cusum.high,
      cusumLow: point.cusum.low,
      tripped,
      passed: verdict === 'pass' && inControl,
      quarantined: false,
      by: m.by ?? null,
    };
    if (result.passed) chart.lastPassedTs = m.ts;
    const manual = this.deps.engine.manualStatus(config.instrument);
    if (quarantining.length > 0 && manual === null) result.quarantined = true;
    this.deps.store.append(result);
    this.deps.store.saveChart(config.id, chart);
    this.last = result;
    this.deps.publish(this.event(result));
    if (tripped.length > 0)
      this.deps.log.warn({ check: config.id, instrument: config.instrument, n: result.n, tripped, verdict }, 'intermediate check: rule tripped');
    if (result.quarantined) this.quarantine(result, quarantining);
    return result;
  }

  private verdict(ts: number, j: Judgement): CheckVerdict {
    const r = this.config.redundancy;
    if (!r) return j.within ? 'pass' : 'fail';
    if (j.within) {
      this.exceedingSince = null;
      return 'pass';
    }
    this.exceedingSince ??= ts;
    return ts - this.exceedingSince >= r.minDurationMs ? 'fail' : 'pending';
  }

  private quarantine(result: CheckResult, why: string[]): void {
    const { config, chart, deps } = this;
    const what = why.map((w) => (w === 'fail' ? `${result.rule} ${result.score.toPrecision(3)} > ${result.limit.toPrecision(3)}` : w)).join(', ');
    const reason = `check ${config.id}: ${what} at result ${result.n}`;
    deps.engine.setManualStatus({ instrument: config.instrument, status: 'quarantined', reason, by: 'intermediate check' });
    const tag = deps.engine.statusOf(config.instrument);
    deps.log.error({ check: config.id, instrument: config.instrument, since: chart.lastPassedTs, tripped: why }, 'intermediate check: instrument quarantined');
    deps.engine.report({
      site: deps.site,
      instrument: config.instrument,
      channel: config.channel,
      kind: 'suspect',
      ts: result.ts,
      from: null,
      to: 'quarantined',
      certificate: tag.certificate,
      due: tag.due,
      reason: `${reason}: readings since the last passed check are suspect`,
      suspectFrom: chart.lastPassedTs ?? 0,
      suspectTo: result.ts,
      check: config.id,
    });
  }

  private event(r: CheckResult): CalEvent {
    const tag = this.deps.engine.statusOf(r.instrument);
    const { check: _c, instrument: _i, channel: _ch, ts: _t, by: _b, ...result } = r;
    return {
      site: this.deps.site,
      instrument: r.instrument,
      channel: r.channel,
      kind: 'check',
      ts: r.ts,
      from: null,
      to: tag.status,
      certificate: tag.certificate,
      due: tag.due,
      reason: `check ${r.check} #${r.n}: ${r.verdict} (${r.rule} ${r.score.toPrecision(3)} / ${r.limit.toPrecision(3)})${r.tripped.length ? `; tripped ${r.tripped.join(', ')}` : ''}`,
      check: r.check,
      result,
    };
  }
}
