import type { InfluxConfig } from './influx-config.js';
import { ensureDatabase } from '../../influx/ensure-database.js';
import { InfluxRejected, InfluxWriter } from '../../influx/influx-writer.js';
import { LineProtocolRenderer } from '../../influx/line-protocol.js';
import { LineProtocolError } from '../../influx/line-protocol-escape.js';
import { RejectedBatchError } from '../sink-errors.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import { BatchCoalescer } from './batch-coalescer.js';
import { deliverGroup } from './deliver-group.js';
import type { InfluxSinkConfig } from './influx-sink-config.js';

/** How long stop() waits for requests under way (the Sink contract allows 5 s in all). */
const STOP_WAIT_MS = 4000;

/**
 * The InfluxDB side of the direct sink: renders a batch with the ingest's renderer (the same
 * points, whichever path wrote them), gathers batches into requests and tracks whether InfluxDB
 * answers. Loaded only when the sink is enabled (the `influx` package weighs ~9 MB).
 */
export class InfluxWrites {
  private readonly writer: InfluxWriter;
  private readonly renderer: LineProtocolRenderer;
  private readonly coalescer: BatchCoalescer;
  private databaseReady: Promise<void> | null = null;
  private answering = false;
  /** Lines InfluxDB refused whose batch's other lines were stored (a whole refused batch the spool counts). */
  refusedPoints = 0;

  constructor(private readonly influx: InfluxConfig, sink: InfluxSinkConfig, private readonly log: Logger, private readonly gateway?: string) {
    this.writer = new InfluxWriter(influx, influx.writeConcurrency);
    this.renderer = new LineProtocolRenderer(influx.measurement);
    this.coalescer = new BatchCoalescer({
      batchSize: influx.batchSize,
      concurrency: influx.writeConcurrency,
      lingerMs: sink.lingerMs,
      deliver: (group) => deliverGroup(group, (lines) => this.post(lines), influx.batchSize, (_batch, refused, detail) => {
        this.refusedPoints += refused;
        this.log.error({ points: refused, err: detail }, 'InfluxDB refused points of a batch; they are dropped, the rest is stored');
      }),
    });
  }

  /** Creates the database if missing, without waiting on a down InfluxDB: the spool holds the readings. */
  start(): void {
    this.ensureDatabase().catch((err: Error) => this.log.warn({ url: this.influx.url, err: err.message }, 'InfluxDB not reachable at start; readings wait in the spool'));
  }

  write(batch: ReadingBatch): Promise<void> {
    const lines: string[] = [];
    try {
      this.renderer.render(this.gateway === undefined ? batch : { ...batch, gateway: this.gateway }, lines);
    } catch (err) {
      // A value line protocol cannot carry (the config schema keeps them out): retrying cannot help.
      if (err instanceof LineProtocolError) return Promise.reject(new RejectedBatchError(err.message));
      throw err;
    }
    return this.coalescer.add(lines.join('\n'), lines.length);
  }

  /** Lines of an event or stats record, gathered into requests with the readings. */
  writeLines(render: () => string): Promise<void> {
    let line: string;
    try {
      line = render();
    } catch (err) {
      if (err instanceof LineProtocolError) return Promise.reject(new RejectedBatchError(err.message));
      throw err;
    }
    return this.coalescer.add(line, 1);
  }

  connected(): boolean {
    return this.answering;
  }

  /** Waits up to STOP_WAIT_MS for InfluxDB's answers; a hanging InfluxDB must not hold the shutdown. */
  async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_WAIT_MS)));
    const timedOut = await Promise.race([this.coalescer.flush().then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) this.coalescer.abandon(new Error(`InfluxDB did not answer within ${STOP_WAIT_MS} ms of the stop; the readings stay in the spool`));
    this.writer.close();
  }

  private ensureDatabase(): Promise<void> {
    this.databaseReady ??= ensureDatabase(this.influx).then(
      () => {
        this.answering = true;
      },
      (err: unknown) => {
        this.databaseReady = null;
        this.answering = false;
        throw err;
      },
    );
    return this.databaseReady;
  }

  private async post(lines: string[]): Promise<void> {
    await this.ensureDatabase();
    try {
      await this.writer.write(lines);
      this.answering = true;
    } catch (err) {
      // A 4xx is an answer (InfluxDB is there); a 404 means the database went away: create it again.
      this.answering = err instanceof InfluxRejected;
      if (err instanceof InfluxRejected && err.status === 404) this.databaseReady = null;
      throw err;
    }
  }
}
