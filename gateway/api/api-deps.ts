/**
 * What the HTTP API needs from the rest of the gateway, and nothing more: the API is built from
 * this interface (gateway-deps.ts adapts a running Gateway to it), so it never reaches into the
 * pipeline or the drivers directly.
 */
import type { DriverStats } from '../../drivers/driver.js';
import type { CalibrationService } from '../calibration/calibration-service.js';
import type { CheckService } from '../checks/check-service.js';
import type { Ingest, IngestStats } from '../ingest/ingest.js';
import type { CompletenessView } from './completeness-view.js';
import type { InstrumentCounters, ReadingListener } from '../pipeline.js';
import type { InstrumentState } from '../sinks/sink.js';

export interface ChannelInfo {
  id: string;
  quantity: string;
  unit: string;
}

export interface InstrumentInfo {
  id: string;
  name?: string;
  lab?: string;
  protocol: string;
  channels: readonly ChannelInfo[];
}

/** Where the gateway is in its life: readiness is false while starting and once stopping. */
export type Phase = 'starting' | 'running' | 'stopping';

export interface SinkHealth {
  name: string;
  connected: boolean;
  /** Deliveries the destination passed to nobody (MQTT reason 16), sent again; absent when the sink cannot tell. */
  noSubscribers?: number;
}

/** What the API reads of the durable spool behind one sink. */
export interface SpoolStats {
  sink: string;
  /** Readings stored and not yet acknowledged by the sink. */
  depth: number;
  /** Age of the oldest unacknowledged reading, ms (0 when none waits). */
  oldestAgeMs: number;
  /** Readings dropped because the spool hit its quota. */
  dropped: number;
  /** The sink's last delivery error, until its next success. */
  lastError: string | null;
}

export interface IngestHealth {
  database: string;
  stats: IngestStats;
  /** The ingest's broker connection is up. */
  connected: boolean;
  /** The last failed InfluxDB write, until one succeeds; null while writes succeed. */
  writeError: string | null;
  /** Subscriptions, deafness, the broker's shared-subscription check; null before the ingest started. */
  listening?: ReturnType<Ingest['listeningHealth']>;
}

export interface ApiDeps {
  readonly site: string;
  readonly gatewayId: string;
  /** Every instrument this gateway polls, in config order; a hot reload replaces the list. */
  readonly instruments: readonly InstrumentInfo[];
  /** Called after a hot reload changed the instruments; returns the unsubscribe. */
  onInstrumentsChanged(listener: () => void): () => void;
  /** Live reading batches, already tagged; listeners must copy what they keep. */
  onReadings(listener: ReadingListener): () => void;
  counters(instrument: string): InstrumentCounters | undefined;
  instrumentState(instrument: string): InstrumentState | undefined;
  driverStats(): DriverStats[];
  /** Duration of the instrument's last completed poll cycle, read while its batch is delivered. */
  lastCycleMs(instrument: string): number | undefined;
  sinks(): SinkHealth[];
  /** The ingest role's counters, null when this process does not run it (or it has not started). */
  ingest(): IngestHealth | null;
  /** Gap repair, both halves (absent in deps that predate it: the route answers nulls). */
  completeness?(): CompletenessView;
  /** One per sink once the spool is open; empty before. */
  spools(): SpoolStats[];
  readonly calibration: CalibrationService;
  /** Intermediate checks (absent or null: none configured). */
  readonly checks?: CheckService | null;
  /** The site's DCC signature policy (calibration.trust, calibration.requireSignature), for uploads. */
  readonly calibrationSettings?: { trust?: string; requireSignature?: boolean };
  phase(): Phase;
}
