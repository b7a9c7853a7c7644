import type { InstrumentConfig, MetrogateConfig } from '../../config/schema.js';
import type { Driver } from '../../drivers/driver.js';
import { CalibrationEngine } from '../calibration/calibration-engine.js';
import { ImpactReporter } from '../calibration/impact-reporter.js';
import { LiveRecords } from '../calibration/live-records.js';
import { loadManualStatuses, saveManualStatuses } from '../calibration/manual-status-file.js';
import { saveRecord } from '../calibration/record-store.js';
import { CheckRunner } from '../checks/check-runner.js';
import { InstrumentReloader } from '../instrument-reloader.js';
import type { Logger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { planReload, type ReloadPlan } from '../reload-plan.js';
import { GatewayRepair } from '../repair/gateway-repair.js';
import { createSinkTargets } from '../sinks/create-sinks.js';
import { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import type { Sink } from '../sinks/sink.js';
import type { DeliveryTarget } from '../spool/spool-delivery.js';
import { StatsPublisher } from '../stats-publisher.js';

const CALENDAR_TICK_MS = 30_000;

/**
 * The edge role: the drivers poll, the calibration engine tags, the pipeline spools and every
 * sink the config asks for (sinks/create-sinks.ts) delivers. Without the role (`enabled` false)
 * it holds no instruments and no sinks, and its engine and pipeline stay idle: the API and the
 * ingest role find them empty. The instrument list after start belongs to the reloader.
 */
export class EdgeRole {
  readonly calibration: CalibrationEngine;
  readonly pipeline: Pipeline;
  readonly sinks: readonly Sink[];
  readonly reloader: InstrumentReloader;
  /** Watches calibration.recordsDir while running (null without the role or a calibration section). */
  readonly liveRecords: LiveRecords | null;
  /** Writes impact reports of this gateway's instruments (null without the role). */
  readonly impactReports: ImpactReporter | null;
  /** Intermediate checks of this gateway's instruments (null without the role or a `checks` section). */
  readonly checks: CheckRunner | null;
  private readonly repair: GatewayRepair | null;
  private readonly stats: StatsPublisher;
  private calendarTimer: NodeJS.Timeout | undefined;
  private pollingStopped: Promise<void> | undefined;

  constructor(
    private config: MetrogateConfig,
    private readonly gateway: string,
    private readonly log: Logger,
    private readonly enabled: boolean,
  ) {
    const instruments = enabled ? config.instruments : [];
    this.calibration = this.engine(instruments);
    // Every sink reads from the spool; which sinks there are is the config's choice (create-sinks.ts).
    const targets: DeliveryTarget[] = instruments.length > 0 ? createSinkTargets({ config, gateway, instruments, calibration: this.calibration, log }) : [];
    this.sinks = targets.map((t) => t.sink);
    this.pipeline = new Pipeline(config.site, instruments, this.calibration, targets, log, config.spool);
    // Live records: a certificate imported, dropped into the records dir or posted to the API is in
    // force within seconds; the gateway that owns the instrument writes the impact report.
    this.liveRecords =
      enabled && config.calibration ? new LiveRecords(config.calibration.recordsDir, this.calibration, log.child({ part: 'calibration' })) : null;
    this.reloader = new InstrumentReloader({ site: config.site, calibration: this.calibration, pipeline: this.pipeline, sinks: this.sinks, log }, instruments);
    // Events and stats: impact reports and gateway totals reach the sinks through the pipeline.
    const pipeline = this.pipeline;
    this.impactReports = enabled
      ? new ImpactReporter({
          gateway,
          reportsDir: config.calibration?.reportsDir ?? './calibration-reports',
          influx: config.influx,
          publish: (e) => pipeline.publishEvent(e),
          log: log.child({ part: 'calibration' }),
        })
      : null;
    if (this.impactReports) this.calibration.onEvent(this.impactReports.onEvent);
    // Checks watch the tagged readings; a failed one quarantines through the engine, whose events
    // (transition, suspect) reach the sinks and the impact reporter like any other.
    this.checks =
      enabled && config.checks && config.checks.series.length > 0
        ? new CheckRunner({
            site: config.site,
            checks: config.checks,
            engine: this.calibration,
            onReadings: (l) => pipeline.onReadings(l),
            publish: (e) => pipeline.publishEvent(e),
            log: log.child({ part: 'checks' }),
          })
        : null;
    this.stats = new StatsPublisher(this.pipeline, this.drivers, config.gateway?.statsIntervalMs ?? 10_000);
    const mqtt = this.sinks.find((s): s is MqttSink => s instanceof MqttSink);
    this.repair = mqtt
      ? new GatewayRepair({
          site: config.site,
          gateway,
          pipeline: this.pipeline,
          mqtt,
          intervalMs: config.gateway?.statsIntervalMs ?? 10_000,
          log,
        })
      : null;
  }

  /** Every running driver; the reloader changes the array in place. */
  get drivers(): readonly Driver[] {
    return this.reloader.drivers;
  }

  /** Resend requests served from the spool (null without an MQTT sink). */
  get resends(): GatewayRepair['stats'] | null {
    return this.repair?.stats ?? null;
  }

  /** Spool and sinks, then live records, then the drivers; starts nothing more once `stopping()`. */
  async start(stopping: () => boolean): Promise<void> {
    // Opens the spool and connects the sinks; before the drivers, whose seqs continue the spool's.
    await this.pipeline.start();
    if (stopping()) return;
    this.repair?.start();
    // Imported certificates and records added through the API, kept beside the config: after the
    // sinks are up (a record that arrived while the gateway was down raises its events), before
    // the drivers (the first readings are tagged with every record).
    await this.liveRecords?.start();
    if (stopping()) return;
    this.checks?.start();
    for (const d of this.drivers) d.start(this.pipeline);
    // Status changes that come with the calendar alone (no readings from an offline device).
    this.calendarTimer = setInterval(() => this.calibration.tick(), CALENDAR_TICK_MS);
    this.calendarTimer.unref();
    if (this.drivers.length > 0) this.stats.start();
  }

  /** Stops the drivers and waits until every polled reading was acknowledged; once, whoever asks first. */
  stopPolling(): Promise<void> {
    this.pollingStopped ??= this.stopPollingOnce();
    return this.pollingStopped;
  }

  /** stopPolling(), then the records watch, the reports being written, the spool and sinks. */
  async stop(): Promise<void> {
    await this.stopPolling();
    await this.liveRecords?.stop();
    await this.impactReports?.idle();
    await this.pipeline.stop();
  }

  /** See Gateway.reload: the instrument changes go to the reloader, which tells every holder. */
  async reload(next: MetrogateConfig): Promise<ReloadPlan> {
    const plan = planReload(this.config, next);
    if (!this.enabled) plan.added.length = plan.removed.length = plan.changed.length = plan.units.stop.length = plan.units.start.length = 0;
    if (plan.needsRestart.length > 0) this.log.warn({ sections: plan.needsRestart }, 'config changes that take effect at the next start');
    if (plan.units.stop.length + plan.units.start.length === 0) {
      await this.liveRecords?.rescan('reload');
      return plan;
    }
    if (this.sinks.length === 0 && next.instruments.length > 0) {
      plan.needsRestart.push('instruments (this gateway started without any, so it has no sinks)');
      return plan;
    }
    this.config = next;
    const restarted = await this.reloader.apply(next.instruments, plan);
    // Records of instruments added now (and anything new in the records dir) take effect too.
    await this.liveRecords?.rescan('reload');
    this.log.info({ added: plan.added, removed: plan.removed, changed: plan.changed, restarted }, 'config reloaded');
    return plan;
  }

  private engine(instruments: readonly InstrumentConfig[]): CalibrationEngine {
    const { config } = this;
    const manualDir = this.enabled ? config.calibration?.recordsDir : undefined;
    return new CalibrationEngine({
      site: config.site,
      instruments,
      policy: { dueSoonDays: config.calibration?.dueSoonDays, dueSoonShare: config.calibration?.dueSoonShare },
      log: this.log.child({ part: 'calibration' }),
      // A quarantine (by hand or by a failed check) outlives a restart: only a person releases it.
      ...(manualDir !== undefined && {
        manual: loadManualStatuses(manualDir),
        persistManual: (states) => saveManualStatuses(manualDir, states),
      }),
      persist: async (record) => {
        // The config of now: a reload may have changed the records dir.
        const recordsDir = this.config.calibration?.recordsDir;
        if (!recordsDir) return;
        saveRecord(recordsDir, record);
        // Seen: a restart must not take it for a record that arrived while the gateway was down.
        this.liveRecords?.noteApplied(record);
      },
    });
  }

  private async stopPollingOnce(): Promise<void> {
    clearInterval(this.calendarTimer);
    this.stats.stop();
    await Promise.all(this.drivers.map((d) => d.stop()));
    this.checks?.stop();
    await this.pipeline.drain();
    this.repair?.stop();
    const totals = { polls: 0, readings: 0, errors: 0, timeouts: 0, skippedCycles: 0 };
    for (const s of this.drivers.flatMap((d) => d.stats())) {
      totals.polls += s.polls;
      totals.readings += s.readings;
      totals.errors += s.errors;
      totals.timeouts += s.timeouts;
      totals.skippedCycles += s.skippedCycles;
    }
    if (this.drivers.length > 0) this.log.info(totals, 'driver totals');
  }
}
