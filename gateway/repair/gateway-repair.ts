import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline.js';
import type { MqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { ResendResponder, type ResendStats } from './resend-responder.js';

export interface GatewayRepairOptions {
  site: string;
  gateway: string;
  pipeline: Pipeline;
  mqtt: MqttSink;
  /** How often the last seqs are published when they changed (gateway.statsIntervalMs). */
  intervalMs: number;
  log: Logger;
}

/**
 * The gateway's half of end-to-end completeness: it publishes, retained, the last seq its spool
 * accepted per instrument (`<prefix>/<site>/<gateway>/seqs`), and re-sends ranges the ingest asks
 * for on `control/resend`. Retained rather than in the stats message because every ingester of a
 * shared group and `metrogate audit` must see every gateway's figures (a stats message reaches one
 * group member), also while the gateway is offline, and at once when they subscribe.
 */
export class GatewayRepair {
  private readonly responder: ResendResponder;
  private timer: NodeJS.Timeout | null = null;
  private published = '';

  constructor(private readonly opts: GatewayRepairOptions) {
    this.responder = new ResendResponder({
      site: opts.site,
      gateway: opts.gateway,
      source: opts.pipeline.resendSource(),
      publish: (batch) => opts.mqtt.write(batch),
      answer: (result) => opts.mqtt.answerResend(result),
      log: opts.log.child({ part: 'resend' }),
    });
    opts.mqtt.onResendRequest((req) => this.responder.handle(req));
  }

  get stats(): ResendStats {
    return this.responder.stats;
  }

  /** After the spool is open. */
  start(): void {
    this.publish();
    this.timer = setInterval(() => this.publish(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Publishes the final figures (call once polling stopped and the spool took everything). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.publish();
  }

  private publish(): void {
    const epoch = this.opts.pipeline.epoch;
    if (epoch === undefined) return;
    const lastSeq = this.opts.pipeline.acceptedSeqs();
    const key = JSON.stringify([epoch, lastSeq]);
    if (key === this.published) return;
    this.published = key;
    this.opts.mqtt.seqs({ v: 1, site: this.opts.site, gateway: this.opts.gateway, epoch, ts: Date.now(), lastSeq });
  }
}
