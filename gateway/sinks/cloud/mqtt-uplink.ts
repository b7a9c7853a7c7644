import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalEvent } from '../../calibration/cal-event.js';
import type { Logger } from '../../log.js';
import type { ReadingBatch } from '../../reading.js';
import type { InstrumentState, Sink } from '../sink.js';
import { sendsEvents, type CloudConfig } from './cloud-config.js';
import { MqttSession } from './mqtt-session.js';
import type { RosterTracker } from './roster.js';
import { readTlsFiles } from './tls-files.js';
import type { UplinkFormat, UplinkMessage } from './uplink-format.js';

export interface MqttUplinkOptions {
  cloud: CloudConfig;
  clientId: string;
  format: UplinkFormat;
  roster: RosterTracker;
  log: Logger;
}

const ROSTER_CHECK_MS = 60_000;

/**
 * The cloud platform over MQTT 5 (TLS): each reading batch (and, in JSON, each calibration event) is one QoS 1 publish, acknowledged to
 * the spool on the broker's PUBACK; births (gateway state or Sparkplug NBIRTH/DBIRTH) and the
 * retained roster go out on every connection, before any data.
 */
export class MqttUplink implements Sink {
  readonly name = 'cloud';
  private session: MqttSession | null = null;
  private rosterTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: MqttUplinkOptions) {}

  async start(): Promise<void> {
    const o = this.o;
    this.session = new MqttSession({
      cloud: o.cloud,
      tls: await readTlsFiles(o.cloud),
      clientId: o.clientId,
      log: o.log,
      will: () => o.format.will(),
      subscriptions: o.format.subscriptions(),
      onConnect: (send) => this.onConnect(send),
      onMessage: (topic, payload) => this.publishAll(o.format.command(topic, payload)),
    });
    this.rosterTimer = setInterval(() => this.rosterChanged(), ROSTER_CHECK_MS);
    this.rosterTimer.unref();
    await this.session.start();
  }

  connected(): boolean {
    return this.session?.ready === true;
  }

  write(batch: ReadingBatch): Promise<void> {
    const session = this.session;
    if (!session?.ready) return Promise.reject(new Error(session?.lastError ?? `not connected to ${this.o.cloud.url}`));
    return session.publish(this.o.format.data(batch));
  }

  state(state: InstrumentState): void {
    this.o.roster.noteState(state);
    const messages = this.o.format.state(state);
    if (this.connected()) this.publishAll(messages);
    this.rosterChanged();
  }

  /**
   * The event changes the roster (a new certificate, a status); the JSON format also publishes it,
   * acknowledged to the spool on PUBACK. Sparkplug has no place for it (its metrics are the
   * readings and each instrument's current calibration; the roster carries the rest), and
   * `cloud.events: false` turns it off: taken at once.
   */
  writeEvent(event: CalEvent): Promise<void> {
    this.rosterChanged();
    const format = this.o.format;
    if (!format.event || !sendsEvents(this.o.cloud)) return Promise.resolve();
    const session = this.session;
    if (!session?.ready) return Promise.reject(new Error(session?.lastError ?? `not connected to ${this.o.cloud.url}`));
    return session.publish(format.event(event));
  }

  setInstruments(instruments: readonly InstrumentConfig[]): void {
    const messages = this.o.format.setInstruments(instruments);
    this.o.roster.setInstruments(instruments);
    if (this.connected()) this.publishAll(messages);
    this.rosterChanged();
  }

  async stop(): Promise<void> {
    if (this.rosterTimer) clearInterval(this.rosterTimer);
    await this.session?.stop(this.o.format.goodbye());
  }

  private async onConnect(send: (m: UplinkMessage) => Promise<void>): Promise<void> {
    // Births before anything else on this connection; then the roster, retained, as it is now.
    for (const m of this.o.format.births()) await send(m);
    this.o.roster.reset();
    const roster = this.o.roster.changed();
    if (roster) await send(this.o.format.roster(roster));
  }

  private rosterChanged(): void {
    if (!this.connected()) return; // sent on the next connection
    const roster = this.o.roster.changed();
    if (roster) this.publishAll([this.o.format.roster(roster)]);
  }

  private publishAll(messages: UplinkMessage[]): void {
    const session = this.session;
    if (!session) return;
    for (const m of messages) {
      session.publish(m).catch((err: Error) => this.o.log.warn({ topic: m.topic, err: err.message }, 'cloud uplink: message not sent'));
    }
  }
}
