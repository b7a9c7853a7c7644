import https from 'node:https';
import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import { RejectedBatchError, RetryLaterError } from '../sink-errors.js';
import { serialiseBatch } from '../mqtt/payload.js';
import type { InstrumentState, Sink } from '../sink.js';
import { calEventMessage } from '../../contract/messages.js';
import { sendsEvents, type CloudConfig } from './cloud-config.js';
import { sendGzipJson } from './https-post.js';
import type { RosterTracker } from './roster.js';
import { RosterSender, type RosterTiming } from './roster-sender.js';
import { explainConnectError, readTlsFiles } from './tls-files.js';

export interface HttpsUplinkOptions {
  cloud: CloudConfig;
  site: string;
  gateway: string;
  roster: RosterTracker;
  log: Logger;
  /** The roster's check and retry intervals; tests shorten them. */
  rosterTiming?: RosterTiming;
}

interface Queued {
  /** A reading batch goes into a cloud batch with its neighbours; an event is POSTed alone to <url>/events. */
  kind: 'readings' | 'event';
  json: string;
  count: number;
  /** Sent alone: it was part of a request the platform refused, and may be the culprit. */
  alone: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The cloud platform over HTTPS: reading batches are grouped into one gzip JSON POST (cloud-batch
 * schema) of at most batchMaxReadings, one request at a time so the platform receives them in
 * order; each write() resolves when the request holding its batch got a 2xx. Calibration events
 * from the spool share that queue, each POSTed to <url>/events (cal-event schema), so an event
 * reaches the platform between the readings it came between. A failed request fails everything
 * queued behind it too, so the spool sends them again in the same order.
 * The roster is PUT at start and whenever it changes (RosterSender: one retry at a time).
 */
export class HttpsUplink implements Sink {
  readonly name = 'cloud';
  private agent: https.Agent | null = null;
  private readonly readingsUrl: URL;
  private readonly eventsUrl: URL;
  private readonly rosterUrl: URL;
  private queue: Queued[] = [];
  private sending = false;
  private ok = false;
  private stopped = false;
  private readonly roster: RosterSender;

  constructor(private readonly opts: HttpsUplinkOptions) {
    const base = opts.cloud.url.replace(/\/+$/, '');
    this.readingsUrl = new URL(`${base}/readings`);
    this.eventsUrl = new URL(`${base}/events`);
    this.rosterUrl = new URL(`${base}/roster`);
    this.roster = new RosterSender({
      tracker: opts.roster,
      put: (json) =>
        sendGzipJson(json, { method: 'PUT', url: this.rosterUrl, token: opts.cloud.token ?? '', agent: this.agent!, timeoutMs: opts.cloud.timeoutMs }),
      explain: (err) => explainConnectError(err, opts.cloud),
      log: opts.log,
      ...(opts.rosterTiming ? { timing: opts.rosterTiming } : {}),
    });
  }

  async start(): Promise<void> {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 2, ...(await readTlsFiles(this.opts.cloud)) });
    this.roster.start();
  }

  connected(): boolean {
    return this.ok;
  }

  write(batch: ReadingBatch): Promise<void> {
    if (this.stopped || !this.agent) return Promise.reject(new Error('cloud uplink not running'));
    return this.enqueue('readings', serialiseBatch(batch, this.opts.gateway), batch.readings.length);
  }

  state(state: InstrumentState): void {
    this.opts.roster.noteState(state);
    this.roster.changed();
  }

  /**
   * Resolves when the platform answered the event's POST with a 2xx, like a reading batch: the
   * event is what tells the platform that readings became suspect. Its effect on the instrument
   * (a new certificate, a status) goes in the roster too. With cloud.events false the spool's
   * record is taken at once.
   */
  writeEvent(event: CalEvent): Promise<void> {
    this.roster.changed();
    if (!sendsEvents(this.opts.cloud)) return Promise.resolve();
    if (this.stopped || !this.agent) return Promise.reject(new Error('cloud uplink not running'));
    return this.enqueue('event', JSON.stringify(calEventMessage(event, this.opts.gateway)), 0);
  }

  setInstruments(instruments: readonly InstrumentConfig[]): void {
    this.opts.roster.setInstruments(instruments);
    this.roster.changed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.roster.stop();
    for (const q of this.queue.splice(0)) q.reject(new Error('cloud uplink stopped'));
    this.agent?.destroy();
  }

  private enqueue(kind: Queued['kind'], json: string, count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, json, count, alone: false, resolve, reject });
      if (!this.sending) void this.sendQueued();
    });
  }

  private async sendQueued(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const group = this.takeGroup();
        const event = group[0]!.kind === 'event';
        const body = event
          ? group[0]!.json
          : `{"v":1,"site":${JSON.stringify(this.opts.site)},"gateway":${JSON.stringify(this.opts.gateway)},"batches":[${group.map((q) => q.json).join(',')}]}`;
        try {
          await sendGzipJson(body, {
            method: 'POST',
            url: event ? this.eventsUrl : this.readingsUrl,
            token: this.opts.cloud.token ?? '',
            agent: this.agent!,
            timeoutMs: this.opts.cloud.timeoutMs,
            absentEndpointRefuses: event,
          });
          this.ok = true;
          for (const q of group) q.resolve();
        } catch (err) {
          this.failed(group, err as Error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** An event alone, or batches from the head of the queue up to batchMaxReadings (at least one) and the next event. */
  private takeGroup(): Queued[] {
    const first = this.queue[0]!;
    if (first.alone || first.kind === 'event') return this.queue.splice(0, 1);
    let n = 0;
    let readings = 0;
    for (const q of this.queue) {
      if (q.alone || q.kind === 'event' || (n > 0 && readings + q.count > this.opts.cloud.batchMaxReadings)) break;
      readings += q.count;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private failed(group: Queued[], err: Error): void {
    if (err instanceof RejectedBatchError) {
      this.ok = true;
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad batch must not condemn the rest: send them one by one to find it.
      for (const q of group) q.alone = true;
      this.queue.unshift(...group);
      this.opts.log.warn({ batches: group.length, err: err.message }, 'cloud platform refused a request; sending its batches one by one');
      return;
    }
    this.ok = false;
    // The platform's Retry-After travels with the error, so the spool waits as long as it asked.
    const text = explainConnectError(err, this.opts.cloud);
    const reason = err instanceof RetryLaterError ? new RetryLaterError(text, err.retryAfterMs) : new Error(text);
    // Order matters to the platform: what was queued behind fails too and is sent again after it.
    const behind = this.queue.splice(0);
    for (const q of [...group, ...behind]) q.reject(reason);
  }
}
