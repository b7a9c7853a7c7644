import { gatewayIdOf } from './gateway-id.js';
import type { InstrumentConfig, MetrogateConfig } from '../config/schema.js';
import type { Driver } from '../drivers/driver.js';
import type { Ingest } from './ingest/ingest.js';
import type { Logger } from './log.js';
import { Pipeline } from './pipeline.js';
import { CalibrationEngine } from './calibration/calibration-engine.js';
import { saveRecord } from './calibration/record-store.js';
import { LiveRecords } from './calibration/live-records.js';
import { ImpactReporter } from './calibration/impact-reporter.js';
import { loadManualStatuses, saveManualStatuses } from './calibration/manual-status-file.js';
import { StatsPublisher } from './stats-publisher.js';
import { CheckRunner } from './checks/check-runner.js';
import { planReload, type ReloadPlan } from './reload-plan.js';
import { InstrumentReloader, type InstrumentsListener } from './instrument-reloader.js';
import type { Sink } from './sinks/sink.js';
import type { DeliveryTarget } from './spool/spool-delivery.js';
import { createSinkTargets } from './sinks/create-sinks.js';
import { MqttSink } from './sinks/mqtt/mqtt-sink.js';
import { GatewayRepair } from './repair/gateway-repair.js';
import type { ResendStats } from './repair/resend-responder.js';

export interface Roles {
  /** Poll the configured instruments and publish their readings. */
  drivers: boolean;
  /** Take data topics from the broker into InfluxDB. */
  ingest: boolean;
}

export interface Gateway {
  readonly id: string;
  readonly pipeline: Pipeline;
  readonly calibration: CalibrationEngine;
  /** Watches calibration.recordsDir while running (null without the driver role or a calibration section). */
  readonly liveRecords: LiveRecords | null;
  /** Writes impact reports of this gateway's instruments (null without the driver role). */
  readonly impactReports: ImpactReporter | null;
  /** Intermediate checks of this gateway's instruments (null without the driver role or a `checks` section). */
  readonly checks: CheckRunner | null;
  readonly drivers: readonly Driver[];
  /** The instruments this gateway polls now (none without the driver role); replaced by a reload. */
  instruments(): readonly InstrumentConfig[];
  /** Called after each reload that changed the instruments. */
  onInstruments(listener: InstrumentsListener): () => void;
  readonly sinks: readonly Sink[];
  readonly ingest: Ingest | null;
  /** Resend requests served from the spool (null without an MQTT sink). */
  readonly resends: ResendStats | null;
  start(): Promise<void>;
  /** Stops the drivers and waits until every polled reading was acknowledged by its sinks. */
  stopPolling(): Promise<void>;
  /** stopPolling(), then stops sinks and ingest (which writes what it holds first). */
  stop(): Promise<void>;
  /**
   * Applies a new, validated config's instruments without losing readings: added instruments
   * start, removed ones stop, a changed one restarts alone (an RTU line with all its
   * instruments); sequence numbers continue; every holder of the list is told
   * (instrument-reloader.ts). Other sections take effect at the next start (listed in the plan).
   */
  reload(next: MetrogateConfig): Promise<ReloadPlan>;
}

/**
 * Assembles a gateway from a validated config without doing any I/O; start() connects. Tests
 * build it with their own config and real local servers, as main does with the user's.
 */
const CALENDAR_TICK_MS = 30_000;

export function buildGateway(initial: MetrogateConfig, log: Logger, roles: Roles): Gateway {
  let config = initial;
  const id = gatewayIdOf(config);
  const instruments = roles.drivers ? config.instruments : [];
  const calibration = new CalibrationEngine({
    site: config.site,
    instruments,
    policy: { dueSoonDays: config.calibration?.dueSoonDays, dueSoonShare: config.calibration?.dueSoonShare },
    log: log.child({ part: 'calibration' }),
    // A quarantine (by hand or by a failed check) outlives a restart: only a person releases it.
    ...(roles.drivers && config.calibration && {
      manual: loadManualStatuses(config.calibration.recordsDir),
      persistManual: (states) => saveManualStatuses(initial.calibration!.recordsDir, states),
    }),
    persist: async (record) => {
      if (!config.calibration) return;
      saveRecord(config.calibration.recordsDir, record);
      // Seen: a restart must not take it for a record that arrived while the gateway was down.
      liveRecords?.noteApplied(record);
    },
  });
  // Every sink reads from the spool; which sinks there are is the config's choice (create-sinks.ts).
  const targets: DeliveryTarget[] = instruments.length > 0 ? createSinkTargets({ config, gateway: id, instruments, calibration, log }) : [];
  const mqtt = targets.map((t) => t.sink).find((s): s is MqttSink => s instanceof MqttSink) ?? null;
  const sinks: Sink[] = targets.map((t) => t.sink);
  const pipeline = new Pipeline(config.site, instruments, calibration, targets, log, config.spool);
  // Live records: a certificate imported, dropped into the records dir or posted to the API is in
  // force within seconds; the gateway that owns the instrument writes the impact report.
  const liveRecords = roles.drivers && config.calibration ? new LiveRecords(config.calibration.recordsDir, calibration, log.child({ part: 'calibration' })) : null;
  const impactReports = roles.drivers
    ? new ImpactReporter({
        gateway: id, reportsDir: config.calibration?.reportsDir ?? './calibration-reports', influx: config.influx,
        publish: (e) => pipeline.publishEvent(e), log: log.child({ part: 'calibration' }),
      })
    : null;
  if (impactReports) calibration.onEvent(impactReports.onEvent);
  // Checks watch the tagged readings; a failed one quarantines through the engine, whose events
  // (transition, suspect) reach the sinks and the impact reporter like any other.
  const checks = roles.drivers && config.checks && config.checks.series.length > 0
    ? new CheckRunner({
        site: config.site, checks: config.checks, engine: calibration, onReadings: (l) => pipeline.onReadings(l),
        publish: (e) => pipeline.publishEvent(e), log: log.child({ part: 'checks' }),
      })
    : null;
  let calendarTimer: NodeJS.Timeout | undefined;
  // Set by stop(): a start still on its way (a signal came while it waited) starts nothing more.
  let stopping = false;
  let pollingStopped: Promise<void> | undefined;
  const reloader = new InstrumentReloader({ site: config.site, calibration, pipeline, sinks, log }, instruments);
  const drivers = reloader.drivers;
  const stats = new StatsPublisher(pipeline, drivers, config.gateway?.statsIntervalMs ?? 10_000);
  const repair = mqtt && new GatewayRepair({
    site: config.site, gateway: id, pipeline, mqtt, intervalMs: config.gateway?.statsIntervalMs ?? 10_000, log,
  });

  let ingest: Ingest | null = null;
  const influx = config.influx;
  if (roles.ingest && !influx) throw new Error('the ingest role needs an `influx` section in the config');
  // The ingest role takes the readings from the broker: no broker, nothing to take in.
  const brokerForIngest = config.mqtt;
  if (roles.ingest && !brokerForIngest) throw new Error('the ingest role needs an `mqtt` section in the config (it takes the readings from that broker)');

  return {
    id,
    pipeline,
    calibration,
    liveRecords,
    impactReports,
    checks,
    drivers,
    sinks,
    instruments: () => reloader.instruments(),
    onInstruments: (listener) => reloader.onInstruments(listener),
    get ingest() {
      return ingest;
    },
    resends: repair?.stats ?? null,
    async start() {
      if (roles.ingest && influx && brokerForIngest) {
        // Loaded on demand: a gateway without the ingest role carries no InfluxDB client (~9 MB).
        const { Ingest } = await import('./ingest/ingest.js');
        if (stopping) return;
        ingest = new Ingest({
          mqtt: brokerForIngest,
          influx,
          ingest: config.ingest ?? { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 },
          log: log.child({ role: 'ingest' }),
          clientId: `metrogate-ingest-${config.site}-${id}`,
        });
        // Ingest first, so that the first readings published already have a subscriber.
        await ingest.start();
        if (stopping) return;
      }
      // Opens the spool and connects the sinks; before the drivers, whose seqs continue the spool's.
      await pipeline.start();
      if (stopping) return;
      repair?.start();
      // Imported certificates and records added through the API, kept beside the config: after the
      // sinks are up (a record that arrived while the gateway was down raises its events), before
      // the drivers (the first readings are tagged with every record).
      await liveRecords?.start();
      if (stopping) return;
      checks?.start();
      for (const d of drivers) d.start(pipeline);
      // Status changes that come with the calendar alone (no readings from an offline device).
      calendarTimer = setInterval(() => calibration.tick(), CALENDAR_TICK_MS);
      calendarTimer.unref();
      if (drivers.length > 0) stats.start();
      log.info({ gateway: id, site: config.site, instruments: instruments.length, ingest: ingest !== null }, 'metrogate started');
    },
    stopPolling() {
      pollingStopped ??= stopPollingOnce();
      return pollingStopped;
    },
    async reload(next) {
      const plan = planReload(config, next);
      if (!roles.drivers) plan.added.length = plan.removed.length = plan.changed.length = plan.units.stop.length = plan.units.start.length = 0;
      if (plan.needsRestart.length > 0) log.warn({ sections: plan.needsRestart }, 'config changes that take effect at the next start');
      if (plan.units.stop.length + plan.units.start.length === 0) {
        await liveRecords?.rescan('reload');
        return plan;
      }
      if (sinks.length === 0 && next.instruments.length > 0) {
        plan.needsRestart.push('instruments (this gateway started without any, so it has no sinks)');
        return plan;
      }
      config = next;
      const restarted = await reloader.apply(next.instruments, plan);
      // Records of instruments added now (and anything new in the records dir) take effect too.
      await liveRecords?.rescan('reload');
      log.info({ added: plan.added, removed: plan.removed, changed: plan.changed, restarted }, 'config reloaded');
      return plan;
    },
    async stop() {
      stopping = true;
      await this.stopPolling();
      await liveRecords?.stop();
      await impactReports?.idle();
      await pipeline.stop();
      await ingest?.stop();
      log.info({ gateway: id }, 'metrogate stopped');
    },
  };

  /** Once, whoever asks first (the demo, then stop()). */
  async function stopPollingOnce(): Promise<void> {
    clearInterval(calendarTimer);
    stats.stop();
    await Promise.all(drivers.map((d) => d.stop()));
    checks?.stop();
    await pipeline.drain();
    repair?.stop();
    const totals = { polls: 0, readings: 0, errors: 0, timeouts: 0, skippedCycles: 0 };
    for (const s of drivers.flatMap((d) => d.stats())) {
      totals.polls += s.polls;
      totals.readings += s.readings;
      totals.errors += s.errors;
      totals.timeouts += s.timeouts;
      totals.skippedCycles += s.skippedCycles;
    }
    if (drivers.length > 0) log.info(totals, 'driver totals');
  }
}
