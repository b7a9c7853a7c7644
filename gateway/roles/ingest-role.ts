import type { IngestConfig, MetrogateConfig } from '../../config/schema.js';
import type { Ingest } from '../ingest/ingest.js';
import type { Logger } from '../log.js';

/** The ingest settings when the config has no `ingest` section and the role is asked for (--ingest). */
const DEFAULT_INGEST: IngestConfig = { enabled: true, sites: ['+'], sessionExpirySeconds: 3600, maxAgeDays: 400, maxAheadMinutes: 60 };

/**
 * The ingest role: takes the broker's data topics into InfluxDB. Checks its sections when built
 * (no I/O); the Ingest itself is made at start, loaded on demand, so a gateway without the role
 * carries no InfluxDB client (~9 MB).
 */
export class IngestRole {
  private running: Ingest | null = null;

  constructor(
    private readonly config: MetrogateConfig,
    private readonly gateway: string,
    private readonly log: Logger,
  ) {
    if (!config.influx) throw new Error('the ingest role needs an `influx` section in the config');
    // The ingest role takes the readings from the broker: no broker, nothing to take in.
    if (!config.mqtt) throw new Error('the ingest role needs an `mqtt` section in the config (it takes the readings from that broker)');
  }

  /** The running ingest (null before start, or when a stop came first). */
  get ingest(): Ingest | null {
    return this.running;
  }

  /** Subscribes and starts writing; makes nothing when `stopping()` turns true while loading. */
  async start(stopping: () => boolean): Promise<void> {
    const { config } = this;
    const { Ingest } = await import('../ingest/ingest.js');
    if (stopping()) return;
    this.running = new Ingest({
      mqtt: config.mqtt!,
      influx: config.influx!,
      ingest: config.ingest ?? DEFAULT_INGEST,
      log: this.log.child({ role: 'ingest' }),
      clientId: `metrogate-ingest-${config.site}-${this.gateway}`,
    });
    await this.running.start();
  }

  /** Writes what it holds, then disconnects. */
  async stop(): Promise<void> {
    await this.running?.stop();
  }
}
