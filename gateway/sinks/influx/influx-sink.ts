import type { InfluxConfig } from './influx-config.js';
import type { Logger } from '../../log.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { ReadingBatch } from '../../reading.js';
import type { DeliveryTarget } from '../../spool/spool-delivery.js';
import type { GatewayStats, InstrumentState, Sink } from '../sink.js';
import type { InfluxSinkConfig } from './influx-sink-config.js';
import { eventLine, statsLine } from './record-lines.js';
import type { InfluxWrites } from './influx-writes.js';
import { instrumentStatusLines } from '../../influx/event-lines.js';
import { instrumentStatusMessage } from '../status-message.js';
import { LatestValueWriter } from './latest-status.js';

/**
 * Readings, calibration events and gateway stats from the spool straight into InfluxDB, as the
 * ingest role would write them (`reading`, `cal_event`, `gateway_stats`), for a box that runs
 * gateway, InfluxDB and Grafana together (no broker needed for storage). Each write resolves when
 * the request holding it got 204, so the spool's cursor moves only then. Each instrument's state
 * goes to `instrument_cal` as the ingest writes it from the retained status: a latest value, not
 * spooled, retried until written or superseded by the instrument's next state.
 */
export class InfluxSink implements Sink {
  readonly name = 'influx';
  private writes: InfluxWrites | null = null;
  private readonly statuses: LatestValueWriter<InstrumentState>;

  /** `gateway`, `site`: the tags the ingest role writes too, so both paths write the same points. */
  constructor(
    private readonly influx: InfluxConfig,
    private readonly config: InfluxSinkConfig,
    private readonly log: Logger,
    private readonly gateway?: string,
    private readonly site?: string,
  ) {
    this.statuses = new LatestValueWriter((state) => this.writeStatus(state), log, 'instrument status');
  }

  async start(): Promise<void> {
    const { InfluxWrites } = await import('./influx-writes.js');
    this.writes = new InfluxWrites(this.influx, this.config, this.log, this.gateway);
    this.writes.start();
    this.statuses.start();
  }

  write(batch: ReadingBatch): Promise<void> {
    return this.writes ? this.writes.write(batch) : Promise.reject(new Error('influx sink not started'));
  }

  writeEvent(event: CalEvent): Promise<void> {
    return this.writeLine(() => eventLine(event, this.gateway ?? ''));
  }

  writeStats(stats: GatewayStats): Promise<void> {
    return this.writeLine(() => statsLine(stats, this.site ?? '', this.gateway ?? ''));
  }

  /**
   * Before start() too: the states drivers reported so far are written once the sink starts. A
   * removed instrument's last state (status `removed`) replaces whatever of it still waits.
   */
  state(state: InstrumentState): void {
    if (state.removed) this.statuses.retire(state.instrument, state);
    else this.statuses.offer(state.instrument, state);
  }

  /** Instruments whose status this sink still holds (waiting, or written and kept for the next). */
  statusKeys(): string[] {
    return this.statuses.keys();
  }

  /** Rendered when written, as the MQTT sink stamps `ts` when it publishes: the point is the status as of now. */
  private writeStatus(state: InstrumentState): Promise<void> {
    if (!this.writes) return Promise.reject(new Error('influx sink not started'));
    return this.writes.writeNow(instrumentStatusLines(instrumentStatusMessage(state, this.site ?? '', this.gateway ?? '', Date.now())));
  }

  private writeLine(render: () => string): Promise<void> {
    return this.writes ? this.writes.writeLines(render) : Promise.reject(new Error('influx sink not started'));
  }

  connected(): boolean {
    return this.writes?.connected() ?? false;
  }

  async stop(): Promise<void> {
    const writes = this.writes;
    this.writes = null;
    this.statuses.stop();
    await writes?.stop();
  }
}

/** The direct InfluxDB sink as a spool target, or null when influx.sink is absent or not enabled. No I/O here. */
export function createInfluxTarget(influx: InfluxConfig | undefined, log: Logger, gateway?: string, site?: string): DeliveryTarget | null {
  const config = influx?.sink;
  if (!influx || !config?.enabled) return null;
  return { sink: new InfluxSink(influx, config, log.child({ sink: 'influx' }), gateway, site), maxInFlight: config.maxInFlight, inOrder: config.inOrder };
}
