import { gatewayIdOf } from './gateway-id.js';
import type { InstrumentConfig, MetrogateConfig } from '../config/schema.js';
import type { Driver } from '../drivers/driver.js';
import type { Ingest } from './ingest/ingest.js';
import type { Logger } from './log.js';
import type { Pipeline } from './pipeline.js';
import type { CalibrationEngine } from './calibration/calibration-engine.js';
import type { LiveRecords } from './calibration/live-records.js';
import type { ImpactReporter } from './calibration/impact-reporter.js';
import type { CheckRunner } from './checks/check-runner.js';
import type { ReloadPlan } from './reload-plan.js';
import type { InstrumentsListener } from './instrument-reloader.js';
import type { Sink } from './sinks/sink.js';
import type { ResendStats } from './repair/resend-responder.js';
import { EdgeRole } from './roles/edge-role.js';
import { IngestRole } from './roles/ingest-role.js';

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
 * build it with their own config and real local servers, as main does with the user's. The parts
 * are roles (gateway/roles/): the edge role (drivers, calibration, pipeline, spool, sinks; its
 * instrument list owned by the reloader) and the ingest role, each optional.
 */
export function buildGateway(config: MetrogateConfig, log: Logger, roles: Roles): Gateway {
  const id = gatewayIdOf(config);
  const edge = new EdgeRole(config, id, log, roles.drivers);
  const ingest = roles.ingest ? new IngestRole(config, id, log) : null;
  // Set by stop(): a start still on its way (a signal came while it waited) starts nothing more.
  let stopping = false;
  const isStopping = () => stopping;

  return {
    id,
    pipeline: edge.pipeline,
    calibration: edge.calibration,
    liveRecords: edge.liveRecords,
    impactReports: edge.impactReports,
    checks: edge.checks,
    drivers: edge.drivers,
    sinks: edge.sinks,
    instruments: () => edge.reloader.instruments(),
    onInstruments: (listener) => edge.reloader.onInstruments(listener),
    get ingest() {
      return ingest?.ingest ?? null;
    },
    resends: edge.resends,
    async start() {
      // Ingest first, so that the first readings published already have a subscriber.
      await ingest?.start(isStopping);
      if (stopping) return;
      await edge.start(isStopping);
      if (stopping) return;
      log.info({ gateway: id, site: config.site, instruments: edge.reloader.instruments().length, ingest: Boolean(ingest?.ingest) }, 'metrogate started');
    },
    stopPolling: () => edge.stopPolling(),
    reload: (next) => edge.reload(next),
    async stop() {
      stopping = true;
      await edge.stop();
      await ingest?.stop();
      log.info({ gateway: id }, 'metrogate stopped');
    },
  };
}
