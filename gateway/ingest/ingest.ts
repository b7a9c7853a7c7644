import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import type { InfluxConfig, IngestConfig, MqttConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import { calEventLine, gatewayStatsLine, instrumentStatusLines } from '../influx/event-lines.js';
import { DeferredPubacks } from './deferred-pubacks.js';
import { ensureDatabase } from '../influx/ensure-database.js';
import { InfluxRejected, InfluxWriter } from '../influx/influx-writer.js';
import { postIsolating } from '../influx/isolate-refused.js';
import { LineProtocolRenderer } from '../influx/line-protocol.js';
import { LineProtocolError } from '../influx/line-protocol-escape.js';
import { RejectLog } from './reject-log.js';
import { isRejection, WireDecoder, type Rejection, type RejectReason, type WireMessage } from './wire-decoder.js';
import { SeqTracker } from './seq-tracker.js';
import { MQTT_CLIENT_DEFAULTS } from '../sinks/mqtt/client-defaults.js';
import { reconnectWithBackoff, type ReconnectBackoff } from '../sinks/mqtt/reconnect-backoff.js';
import { IngestListening, type ListeningHealth } from './listening.js';
import { SharePersistenceProbe, type ShareProbeResult } from './share-probe.js';
import { GapRepair, type RepairStats } from '../repair/gap-repair.js';
import { DEFAULT_REPAIR } from '../repair/repair-config.js';

export interface IngestOptions {
  mqtt: MqttConfig;
  influx: InfluxConfig;
  ingest: IngestConfig;
  log: Logger;
  clientId: string;
}

export interface IngestStats {
  messages: number;
  points: number;
  writes: number;
  writeErrors: number;
  /** Messages the decoder refused (logged rate-limited, acknowledged, nothing of them stored). */
  rejectedMessages: number;
  /** The same, by reason (gateway/ingest/wire-decoder.ts). */
  rejectedByReason: Record<RejectReason, number>;
  /** Lines InfluxDB refused on their own (400), their neighbours stored; logged, not retried. */
  rejectedPoints: number;
  /** Calibration events written (cal_event). Impact reports are written by the gateway that owns the instrument. */
  events: number;
}

export interface SequenceStats {
  /** Instrument streams (site/gateway/instrument/epoch) seen. */
  streams: number;
  /** Sequence numbers below the highest seen that have not arrived (exact only without a shared group). */
  gaps: number;
  /** Readings seen twice: redeliveries and replays (stored once: InfluxDB keys by series and time). */
  duplicates: number;
}

/** How many unacknowledged messages we let the broker send us (MQTT 5 Receive Maximum). */
const RECEIVE_MAXIMUM = 1000;
/** With the broker's window full, no more messages come: write what we have after this pause. */
const IDLE_FLUSH_MS = 10;
const STOP_GRACE_MS = 10_000;
/** start() waits this long for the broker, then lets the process run on while it keeps trying. */
const FIRST_CONNECT_WAIT_MS = 5000;

/**
 * The ingest role: MQTT data topics → InfluxDB line protocol. A message is acknowledged only once
 * its points are written (or it is found to be poison), so at-least-once holds across a crash; a
 * replay writes the same series and timestamps again, which InfluxDB stores once.
 */
export class Ingest {
  readonly stats: IngestStats;
  private client: MqttClient | null = null;
  private acks: DeferredPubacks | null = null;
  private listening: IngestListening | null = null;
  private probe: SharePersistenceProbe | null = null;
  private reconnects: ReconnectBackoff | null = null;
  /** stop() was called: a start still on its way must not connect afterwards (nothing would end it). */
  private stopRequested = false;
  private repair: GapRepair | null = null;
  private readonly writer: InfluxWriter;
  private readonly seqs = new SeqTracker();
  private readonly renderer: LineProtocolRenderer;
  private readonly decoder: WireDecoder;
  private readonly rejections: RejectLog;
  private lines: string[] = [];
  private messageIds: number[] = [];
  /** Writes under way; InfluxDB stores by series and timestamp, so their order does not matter. */
  private readonly writing = new Set<Promise<void>>();
  private idleTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private databaseReady = false;
  /** The last failed write (or database creation), until one succeeds: what readiness reports. */
  private writeError: string | null = null;

  constructor(private readonly opts: IngestOptions) {
    this.writer = new InfluxWriter(opts.influx);
    this.renderer = new LineProtocolRenderer(opts.influx.measurement);
    this.decoder = new WireDecoder({ maxAgeMs: opts.ingest.maxAgeDays * 86_400_000, maxAheadMs: opts.ingest.maxAheadMinutes * 60_000 });
    this.rejections = new RejectLog(opts.log);
    this.stats = { messages: 0, points: 0, writes: 0, writeErrors: 0, rejectedMessages: 0, rejectedByReason: this.rejections.byReason, rejectedPoints: 0, events: 0 };
  }

  async start(): Promise<void> {
    const { mqtt, ingest, log } = this.opts;
    // InfluxDB may be down at start: subscribe anyway and hold the messages unacknowledged.
    await this.ensureDatabase().catch((err: Error) => {
      this.writeError = err.message;
      log.warn({ err: err.message }, 'InfluxDB not reachable at start; will retry');
    });
    if (this.stopRequested) return;
    const client = connect(mqtt.url, {
      ...MQTT_CLIENT_DEFAULTS,
      clientId: this.opts.clientId,
      username: mqtt.username,
      password: mqtt.password,
      // A persistent session: what arrives while we are away waits for us at the broker.
      clean: false,
      properties: { sessionExpiryInterval: ingest.sessionExpirySeconds, receiveMaximum: RECEIVE_MAXIMUM },
      // IngestListening subscribes on every connection itself; reconnectWithBackoff retries.
      resubscribe: false,
      reconnectPeriod: 0,
    });
    this.client = client;
    this.acks = new DeferredPubacks(client);
    this.reconnects = reconnectWithBackoff(client, log);
    const listening = new IngestListening(client, { prefix: mqtt.topicPrefix, sites: ingest.sites, group: ingest.group, log });
    this.listening = listening;
    client.handleMessage = (packet, callback) => {
      if (packet.qos > 0 && packet.messageId !== undefined) this.acks?.received(packet.messageId);
      if (!listening.observe(packet)) this.receive(packet);
      callback();
    };
    // While disconnected, reconnectWithBackoff reports the failed attempts (and fewer of them).
    client.on('error', (err) => (client.connected ? log.warn : log.debug).call(log, { err: err.message }, 'ingest mqtt error'));
    if (ingest.group) {
      const probe = new SharePersistenceProbe({ url: mqtt.url, username: mqtt.username, password: mqtt.password, clientId: this.opts.clientId, prefix: mqtt.topicPrefix, sessionExpirySeconds: ingest.sessionExpirySeconds, log });
      this.probe = probe;
      client.on('connect', () => void probe.run());
    }
    const repair = { ...DEFAULT_REPAIR, ...ingest.repair };
    if (repair.enabled) {
      this.repair = new GapRepair({
        client, prefix: mqtt.topicPrefix, sites: ingest.sites, influx: this.opts.influx, config: repair, clientId: this.opts.clientId, log: log.child({ part: 'gap-repair' }),
      });
      this.repair.start();
    }
    const topics = listening.topics;
    const database = this.opts.influx.database;
    listening.subscriptions.onRound((ok) => {
      if (ok) log.info({ topics, database }, 'ingest subscribed');
    });
    // The broker may be down at start: say so, and keep trying without holding up the process.
    const first = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), FIRST_CONNECT_WAIT_MS);
      listening.subscriptions.onRound(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!first) log.warn({ url: mqtt.url }, 'ingest not subscribed yet (broker unreachable?); it subscribes as soon as it connects');
  }

  /** Subscriptions, deafness and the broker's handling of shared subscriptions (null before start). */
  listeningHealth(): (ListeningHealth & { sharedSubscriptionsAcrossRestart: ShareProbeResult | null }) | null {
    const h = this.listening?.health();
    return h ? { ...h, sharedSubscriptionsAcrossRestart: this.probe?.result() ?? null } : null;
  }

  /** Whether the broker connection is up and InfluxDB takes writes (the last attempt succeeded). */
  health(): { connected: boolean; writeError: string | null } {
    return { connected: this.client?.connected === true, writeError: this.writeError };
  }

  /** Gap repair's counters (null when ingest.repair.enabled is false). */
  repairs(): RepairStats | null {
    return this.repair?.stats ?? null;
  }

  sequences(): SequenceStats {
    return this.seqs.totals();
  }

  private async ensureDatabase(): Promise<void> {
    await ensureDatabase(this.opts.influx);
    this.databaseReady = true;
    this.writeError = null;
  }

  private receive(packet: IPublishPacket): void {
    this.stats.messages++;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (this.repair?.take(packet.topic, payload)) {
      if (packet.messageId !== undefined) this.acks?.release([packet.messageId]);
      return;
    }
    const msg = this.decoder.decode(packet.topic, payload);
    const refused = isRejection(msg) ? msg : this.accept(msg);
    if (refused) {
      this.stats.rejectedMessages++;
      this.rejections.note(packet.topic, refused);
      if (packet.messageId !== undefined) this.acks?.release([packet.messageId]);
      return;
    }
    if (packet.messageId !== undefined && packet.qos > 0) this.messageIds.push(packet.messageId);
    this.schedule();
  }

  /** Renders a decoded message into the next write; a value line protocol cannot carry refuses it whole. */
  private accept(msg: WireMessage): Rejection | null {
    try {
      if (msg.kind === 'data') {
        const { batch } = msg;
        this.renderer.render(batch, this.lines);
        // A replaced spool numbers from 1 again under a new epoch: a stream of its own, not duplicates.
        const stream = `${batch.site}/${batch.gateway}/${batch.instrument}/${batch.epoch ?? ''}`;
        for (const r of batch.readings) this.seqs.note(stream, r.seq);
      } else if (msg.kind === 'event') {
        this.lines.push(calEventLine(msg.event));
        this.stats.events++;
      } else if (msg.kind === 'status') {
        this.lines.push(...instrumentStatusLines(msg.status));
      } else {
        this.lines.push(gatewayStatsLine(msg.stats));
      }
      return null;
    } catch (err) {
      if (err instanceof LineProtocolError) return { reason: 'unrenderable', detail: err.message };
      throw err;
    }
  }

  private schedule(): void {
    const full = this.lines.length >= this.opts.influx.batchSize || this.messageIds.length >= RECEIVE_MAXIMUM;
    if (full) return this.flush();
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.flush(), IDLE_FLUSH_MS);
    this.maxTimer ??= setTimeout(() => this.flush(), this.opts.influx.flushIntervalMs);
  }

  private flush(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.idleTimer = this.maxTimer = null;
    if (this.writing.size >= this.opts.influx.writeConcurrency || this.lines.length === 0) return;
    const lines = this.lines;
    const ids = this.messageIds;
    this.lines = [];
    this.messageIds = [];
    const write: Promise<void> = this.writeUntilStored(lines, ids).finally(() => {
      this.writing.delete(write);
      if (this.lines.length > 0) this.schedule();
    });
    this.writing.add(write);
  }

  /** Retries until InfluxDB takes the points: nothing is acknowledged before that. */
  private async writeUntilStored(lines: string[], ids: number[]): Promise<void> {
    // What accumulated while earlier writes were under way can be far more than one request may
    // carry: write it in chunks of batchSize, and acknowledge only once every chunk is stored.
    let size = this.opts.influx.batchSize;
    for (let at = 0; at < lines.length; ) {
      const chunk = lines.slice(at, at + size);
      const outcome = await this.writeChunk(chunk);
      if (outcome === 'stopped') return;
      if (outcome === 'too-large' && size > 1) {
        size = Math.max(1, Math.floor(size / 2));
        continue;
      }
      at += chunk.length;
    }
    this.acks?.release(ids);
  }

  /** Retries until InfluxDB takes the chunk: nothing is acknowledged before that. */
  private async writeChunk(lines: string[]): Promise<'stored' | 'too-large' | 'stopped'> {
    let backoff = 250;
    for (;;) {
      try {
        if (!this.databaseReady) await this.ensureDatabase();
        const refused = await postIsolating(lines, this.post);
        this.stats.writes++;
        this.stats.points += lines.length - refused.length;
        if (refused.length > 0) this.noteRefused(lines, refused);
        this.writeError = null;
        return 'stored';
      } catch (err) {
        if (err instanceof InfluxRejected && err.status === 413) {
          this.opts.log.warn({ points: lines.length }, 'InfluxDB: request too large; writing it in smaller parts');
          return 'too-large';
        }
        if (err instanceof InfluxRejected && err.status === 404) {
          // The database went away (dropped, or a fresh InfluxDB): create it again, keep the points.
          this.databaseReady = false;
        }
        this.stats.writeErrors++;
        this.writeError = (err as Error).message;
        if (this.stopping) return 'stopped';
        this.opts.log.warn({ err: (err as Error).message, retryInMs: backoff }, 'InfluxDB write failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private readonly post = (lines: string[]): Promise<void> => this.writer.write(lines);

  private noteRefused(lines: string[], refused: number[]): void {
    this.stats.rejectedPoints += refused.length;
    const first = lines[refused[0]!]!;
    this.opts.log.error({ points: refused.length, of: lines.length, line: first.slice(0, 300) }, 'InfluxDB refused points on their own; they are dropped, the rest of the request is stored');
  }


  /** Writes what is buffered, acknowledges it, and disconnects (the session stays at the broker). */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const client = this.client;
    if (!client) return;
    // Give a down InfluxDB a grace period; what is still unwritten then stays unacknowledged at
    // the broker and goes to the next ingester, so giving up here loses nothing.
    const grace = setTimeout(() => (this.stopping = true), STOP_GRACE_MS);
    do {
      this.flush();
      await Promise.all(this.writing);
    } while (this.lines.length > 0 && !this.stopping);
    clearTimeout(grace);
    this.stopping = true;
    await this.repair?.stop();
    this.client = null;
    this.opts.log.info({ ...this.stats, ...this.sequences() }, 'ingest totals');
    this.reconnects?.stop();
    await client.endAsync(!client.connected);
    this.writer.close();
  }
}
