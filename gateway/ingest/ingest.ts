import type { IPublishPacket } from 'mqtt';
import type { InfluxConfig, IngestConfig, MqttConfig } from '../../config/schema.js';
import { InfluxSession } from '../influx/influx-session.js';
import type { Logger } from '../log.js';
import type { RepairStats } from '../repair/gap-repair.js';
import { connectIngest, endIngestConnection, firstSubscription, RECEIVE_MAXIMUM, type IngestConnection } from './ingest-connection.js';
import { IngestWrites, type WriteCounts } from './ingest-writes.js';
import type { ListeningHealth } from './listening.js';
import { MessageLines } from './message-lines.js';
import { RejectLog } from './reject-log.js';
import type { ShareProbeResult } from './share-probe.js';
import { isRejection, WireDecoder, type RejectReason } from './wire-decoder.js';

export interface IngestOptions {
  mqtt: MqttConfig;
  influx: InfluxConfig;
  ingest: IngestConfig;
  log: Logger;
  clientId: string;
}

export interface IngestStats extends WriteCounts {
  messages: number;
  /** Messages the decoder refused (logged rate-limited, acknowledged, nothing of them stored). */
  rejectedMessages: number;
  /** The same, by reason (gateway/ingest/wire-decoder.ts). */
  rejectedByReason: Record<RejectReason, number>;
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

/** How long stop() keeps writing to a down InfluxDB before leaving the rest to the broker. */
const STOP_GRACE_MS = 10_000;

/**
 * The ingest role: MQTT data topics → InfluxDB line protocol. A message is acknowledged only once
 * its points are written (or it is found to be poison), so at-least-once holds across a crash; a
 * replay writes the same series and timestamps again, which InfluxDB stores once.
 */
export class Ingest {
  readonly stats: IngestStats;
  private connection: IngestConnection | null = null;
  /** stop() was called: a start still on its way must not connect afterwards (nothing would end it). */
  private stopRequested = false;
  private readonly session: InfluxSession;
  private readonly writes: IngestWrites;
  private readonly messages: MessageLines;
  private readonly decoder: WireDecoder;
  private readonly rejections: RejectLog;

  constructor(private readonly opts: IngestOptions) {
    this.session = new InfluxSession(opts.influx, opts.log);
    this.messages = new MessageLines(opts.influx.measurement);
    this.decoder = new WireDecoder({ maxAgeMs: opts.ingest.maxAgeDays * 86_400_000, maxAheadMs: opts.ingest.maxAheadMinutes * 60_000 });
    this.rejections = new RejectLog(opts.log);
    this.stats = {
      messages: 0,
      points: 0,
      writes: 0,
      writeErrors: 0,
      rejectedMessages: 0,
      rejectedByReason: this.rejections.byReason,
      rejectedPoints: 0,
      events: 0,
    };
    this.writes = new IngestWrites({
      session: this.session,
      influx: opts.influx,
      log: opts.log,
      counts: this.stats,
      maxMessages: RECEIVE_MAXIMUM,
      release: (ids) => this.connection?.acks.release(ids),
    });
  }

  async start(): Promise<void> {
    // InfluxDB may be down at start: subscribe anyway and hold the messages unacknowledged; the
    // database is created as soon as InfluxDB answers, written to or not (readiness follows).
    await this.session.start();
    if (this.stopRequested) return;
    const connection = connectIngest({ ...this.opts, receive: (packet) => this.receive(packet) });
    this.connection = connection;
    // The broker may be down at start: say so, and keep trying without holding up the process.
    await firstSubscription(connection, this.opts.mqtt.url, this.opts.log);
  }

  /** Subscriptions, deafness and the broker's handling of shared subscriptions (null before start). */
  listeningHealth(): (ListeningHealth & { sharedSubscriptionsAcrossRestart: ShareProbeResult | null }) | null {
    const h = this.connection?.listening.health();
    return h ? { ...h, sharedSubscriptionsAcrossRestart: this.connection?.probe?.result() ?? null } : null;
  }

  /** Whether the broker connection is up and InfluxDB takes writes (the last attempt, or database creation, succeeded). */
  health(): { connected: boolean; writeError: string | null } {
    return { connected: this.connection?.client.connected === true, writeError: this.session.lastFailure() };
  }

  /** Gap repair's counters (null when ingest.repair.enabled is false). */
  repairs(): RepairStats | null {
    return this.connection?.repair?.stats ?? null;
  }

  sequences(): SequenceStats {
    return this.messages.seqs.totals();
  }

  private receive(packet: IPublishPacket): void {
    this.stats.messages++;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const acks = this.connection?.acks;
    if (this.connection?.repair?.take(packet.topic, payload)) {
      if (packet.messageId !== undefined) acks?.release([packet.messageId]);
      return;
    }
    const msg = this.decoder.decode(packet.topic, payload);
    if (!isRejection(msg) && msg.kind === 'status_cleared') {
      // Nothing to store: the removal itself came as a status message just before.
      if (packet.messageId !== undefined) acks?.release([packet.messageId]);
      return;
    }
    const refused = isRejection(msg) ? msg : this.messages.render(msg, this.writes.pending);
    if (refused) {
      this.stats.rejectedMessages++;
      this.rejections.note(packet.topic, refused);
      if (packet.messageId !== undefined) acks?.release([packet.messageId]);
      return;
    }
    if (!isRejection(msg) && msg.kind === 'event') this.stats.events++;
    this.writes.added(packet.qos > 0 ? packet.messageId : undefined);
  }

  /** Writes what is buffered, acknowledges it, and disconnects (the session stays at the broker). */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const connection = this.connection;
    if (!connection) {
      this.session.close();
      return;
    }
    await this.writes.drain(STOP_GRACE_MS);
    this.connection = null;
    this.opts.log.info({ ...this.stats, ...this.sequences() }, 'ingest totals');
    await endIngestConnection(connection);
    this.session.close();
  }
}
