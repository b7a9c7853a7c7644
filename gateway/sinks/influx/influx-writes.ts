import type { InfluxConfig } from './influx-config.js';
import { InfluxSession } from '../../influx/influx-session.js';
import { LineProtocolRenderer } from '../../influx/line-protocol.js';
import { LineProtocolError } from '../../influx/line-protocol-escape.js';
import type { WritePolicy } from '../../influx/write-policy.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import { RejectedBatchError } from '../sink-errors.js';
import { BatchCoalescer } from './batch-coalescer.js';
import { deliverGroup } from './deliver-group.js';
import type { InfluxSinkConfig } from './influx-sink-config.js';

/** How long stop() waits for requests under way (the Sink contract allows 5 s in all). */
const STOP_WAIT_MS = 4000;

/**
 * The InfluxDB side of the direct sink: renders a batch with the shared renderer (the same
 * points, whichever path wrote them), gathers batches into requests and writes them through the
 * shared InfluxSession. Loaded only when the sink is enabled (the `influx` package weighs ~9 MB).
 */
export class InfluxWrites {
  private readonly session: InfluxSession;
  private readonly renderer: LineProtocolRenderer;
  private readonly coalescer: BatchCoalescer;
  private readonly policy: WritePolicy;
  /** Lines InfluxDB refused whose batch's other lines were stored (a whole refused batch the spool counts). */
  refusedPoints = 0;

  constructor(
    influx: InfluxConfig,
    sink: InfluxSinkConfig,
    private readonly log: Logger,
    private readonly gateway?: string,
  ) {
    this.session = new InfluxSession(influx, log, influx.writeConcurrency);
    this.renderer = new LineProtocolRenderer(influx.measurement);
    // The spool retries what failed, with its backoff: the policy gives up at once here.
    const policy: WritePolicy = (this.policy = {
      maxLines: influx.batchSize,
      retry: () => Promise.resolve(false),
      tooLarge: (lines) => this.log.warn({ points: lines }, 'InfluxDB: request too large; writing it in smaller parts'),
    });
    this.coalescer = new BatchCoalescer({
      batchSize: influx.batchSize,
      concurrency: influx.writeConcurrency,
      lingerMs: sink.lingerMs,
      deliver: (group) =>
        deliverGroup(
          group,
          (texts, linesOf) => this.session.write(texts, policy, linesOf),
          (_batch, refused, detail) => {
            this.refusedPoints += refused;
            this.log.error({ points: refused, err: detail }, 'InfluxDB refused points of a batch; they are dropped, the rest is stored');
          },
        ),
    });
  }

  /** Creates the database if missing, without waiting on a down InfluxDB: the spool holds the readings. */
  start(): void {
    void this.session.start();
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

  /** Lines written in a request of their own, outside the spool's order (a latest value, not a record). */
  async writeNow(lines: string[]): Promise<void> {
    const outcome = await this.session.write([lines.join('\n')], this.policy, () => lines.length);
    if (outcome.unwritten) throw outcome.unwritten.error;
    // A refused line stays refused (the same status again would be too): logged, not retried.
    if (outcome.refused.length > 0)
      this.log.error({ points: outcome.refused.length, err: outcome.refused[0] }, 'InfluxDB refused status points; they are dropped');
  }

  connected(): boolean {
    return this.session.answering();
  }

  /** Waits up to STOP_WAIT_MS for InfluxDB's answers; a hanging InfluxDB must not hold the shutdown. */
  async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_WAIT_MS)));
    const timedOut = await Promise.race([this.coalescer.flush().then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) this.coalescer.abandon(new Error(`InfluxDB did not answer within ${STOP_WAIT_MS} ms of the stop; the readings stay in the spool`));
    this.session.close();
  }
}
