import type { OpcuaInstrumentConfig } from './config.js';
import type { Logger } from '../../gateway/log.js';
import type { UntaggedReading } from '../../gateway/reading.js';
import type { DeviceStatus, DriverOutput, DriverStats } from '../driver.js';
import { planChannels, splitDelivery, type ChannelPlan, type PlannedSubscription } from './channel-plan.js';
import { compareWithConfig, type DeviceCalibration } from './device-calibration.js';
import { InstrumentPoller } from './instrument-poller.js';
import { badReading, sampleToReading, type UaSample } from './sample.js';
import type { UaSession } from './ua-session.js';

export type UaModule = typeof import('./ua-session.js');

const REFUSED_LOGIN_RETRY_MS = 30_000;

/** DriverStats plus what an OPC UA connection adds; `polls` counts poll cycles and publish responses. */
export interface OpcuaInstrumentStats extends DriverStats {
  online: boolean;
  /** Sessions opened, the first included: more than one means the driver reconnected. */
  sessions: number;
  subscriptions: number;
  /** Monitored items the server accepted in the current session. */
  monitoredItems: number;
  lastError?: string;
  /** What the device says about its own calibration, when `deviceCalibration` is configured. */
  deviceCalibration?: DeviceCalibration;
}

/**
 * One OPC UA instrument: its own client and session, rebuilt from scratch (session,
 * subscriptions, monitored items) with backoff whenever the connection, the session or a
 * subscription is lost, so a restarted server is picked up again without a gateway restart.
 */
export class OpcuaInstrument {
  readonly stats: OpcuaInstrumentStats;
  private readonly plan: ChannelPlan;
  private readonly poller: InstrumentPoller | null;
  private running = false;
  private session: UaSession | null = null;
  private online: boolean | null = null;
  private seq = 0;
  private lastError: string | undefined;
  private loop: Promise<void> | null = null;
  private stopRequested: () => void = () => undefined;
  private readonly stopped: Promise<string>;
  private calibrationTimer: NodeJS.Timeout | null = null;
  /** Polling starts once the first connection attempt has settled, so it never reports a link still being set up. */
  private pollPhaseMs: number | null = null;

  constructor(
    private readonly site: string,
    private readonly cfg: OpcuaInstrumentConfig,
    private readonly output: DriverOutput,
    private readonly log: Logger,
    private readonly loadUa: () => Promise<UaModule>,
  ) {
    this.plan = planChannels(cfg);
    this.stats = {
      instrument: cfg.id,
      polls: 0,
      readings: 0,
      errors: 0,
      timeouts: 0,
      skippedCycles: 0,
      lastCycleMs: 0,
      online: false,
      sessions: 0,
      subscriptions: 0,
      monitoredItems: 0,
    };
    this.stopped = new Promise((resolve) => (this.stopRequested = () => resolve('stopped')));
    this.poller =
      this.plan.polled.length === 0
        ? null
        : new InstrumentPoller(cfg.polling.intervalMs, this.plan.pollBatches, this.stats, {
            session: () => (this.online ? this.session : null),
            lastError: () => this.lastError,
            nodeId: (ch) => cfg.channels[ch]!.nodeId,
            toReading: (ch, sample, receivedAt) => this.toReading(ch, sample, receivedAt),
            badReading: (ch, ts, reason) => badReading(site, cfg.id, cfg.channels[ch]!, ts, reason),
            emit: (readings) => this.emit(readings),
          });
  }

  start(phaseMs = 0): void {
    this.running = true;
    this.pollPhaseMs = phaseMs;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopRequested();
    await this.poller?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    const ua = await this.loadUa();
    let backoff = this.cfg.reconnect.minDelayMs;
    while (this.running) {
      let reason: string;
      let refusedLogin = false;
      let session: UaSession | null = null;
      try {
        session = await ua.openSession({ endpoint: this.cfg.endpoint, security: this.cfg.security, auth: this.cfg.auth, timeoutMs: this.cfg.timeoutMs });
        if (!this.running) break;
        this.stats.sessions++;
        await this.subscribeAll(session);
        this.session = session;
        this.setOnline(true);
        this.startPolling();
        backoff = this.cfg.reconnect.minDelayMs;
        this.watchDeviceCalibration(session);
        reason = await Promise.race([session.lost, this.stopped]);
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
        refusedLogin = (err as { kind?: string }).kind === 'auth';
        this.log.debug({ instrument: this.cfg.id, err: reason }, 'opcua connect attempt failed');
      } finally {
        this.session = null;
        if (this.calibrationTimer) clearInterval(this.calibrationTimer);
        await session?.close();
      }
      if (!this.running) break;
      this.goOffline(reason);
      this.startPolling();
      // Jitter keeps instruments that failed together from retrying in lockstep; the cap bounds
      // how long a server that is back waits for the gateway.
      let delay = Math.min(backoff * (0.8 + Math.random() * 0.4), this.cfg.reconnect.maxDelayMs);
      // A refused login repeated every few seconds can lock the account on servers that count failures.
      if (refusedLogin) delay = Math.max(delay, REFUSED_LOGIN_RETRY_MS);
      backoff = Math.min(backoff * 2, this.cfg.reconnect.maxDelayMs);
      await Promise.race([new Promise((r) => setTimeout(r, delay).unref()), this.stopped]);
    }
  }

  private startPolling(): void {
    if (this.pollPhaseMs === null) return;
    this.poller?.start(this.pollPhaseMs);
    this.pollPhaseMs = null;
  }

  private async subscribeAll(session: UaSession): Promise<void> {
    this.stats.subscriptions = 0;
    this.stats.monitoredItems = 0;
    for (const planned of this.plan.subscriptions) {
      const sub = await session.subscribe(planned, (items, samples, at) => this.onData(planned, items, samples, at));
      this.stats.subscriptions++;
      const refused: UntaggedReading[] = [];
      sub.items.forEach((item, i) => {
        if (item.ok) this.stats.monitoredItems++;
        else refused.push(badReading(this.site, this.cfg.id, this.cfg.channels[planned.channels[i]!]!, Date.now(), item.status));
      });
      if (refused.length > 0) {
        this.log.warn({ instrument: this.cfg.id, refused: refused.map((r) => `${r.channel}: ${r.reason}`) }, 'opcua server refused monitored items');
        this.emit(refused);
      }
    }
  }

  private onData(planned: PlannedSubscription, items: number[], samples: UaSample[], receivedAt: number): void {
    this.stats.polls++;
    for (const part of splitDelivery(
      items.map((i) => planned.channels[i]!),
      samples,
    )) {
      this.emit(part.channels.map((ch, i) => this.toReading(ch, part.samples[i]!, receivedAt)));
    }
  }

  private toReading(ch: number, sample: UaSample, receivedAt: number): UntaggedReading {
    return sampleToReading(this.site, this.cfg.id, this.cfg.channels[ch]!, sample, this.cfg.timestamps, receivedAt);
  }

  private emit(readings: UntaggedReading[]): void {
    if (readings.length === 0) return;
    for (const r of readings) r.seq = ++this.seq;
    this.stats.readings += readings.length;
    this.output.readings(this.cfg.id, readings);
  }

  /** Subscribed channels get one bad reading when the link goes down, so the gap shows in the data. */
  private goOffline(reason: string): void {
    const wasOnline = this.online !== false;
    const changed = reason !== this.lastError;
    this.lastError = reason;
    this.stats.lastError = reason;
    if (!wasOnline) {
      // Retries fail every few seconds while a server is down: log only what changes.
      if (changed) this.log.warn({ instrument: this.cfg.id, endpoint: this.cfg.endpoint, err: reason }, 'opcua instrument still unreachable');
      return;
    }
    const now = Date.now();
    const gap = this.plan.subscriptions.flatMap((s) => s.channels).sort((a, b) => a - b);
    this.emit(gap.map((ch) => badReading(this.site, this.cfg.id, this.cfg.channels[ch]!, now, `disconnected: ${reason}`)));
    this.setOnline(false);
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.stats.online = online;
    const status: DeviceStatus = { instrument: this.cfg.id, online, since: Date.now() };
    if (!online && this.lastError) status.error = this.lastError;
    if (online) this.log.info({ instrument: this.cfg.id, endpoint: this.cfg.endpoint, session: this.stats.sessions }, 'instrument online');
    else this.log.warn({ instrument: this.cfg.id, err: this.lastError }, 'instrument offline');
    this.output.status(status);
  }

  private watchDeviceCalibration(session: UaSession): void {
    const dc = this.cfg.deviceCalibration;
    if (!dc) return;
    const read = async () => {
      try {
        const found = compareWithConfig(dc.node, await session.readCalibration(dc.node), this.cfg.calibration, Date.now());
        const before = this.stats.deviceCalibration;
        this.stats.deviceCalibration = found;
        if (found.mismatch !== undefined && found.mismatch !== before?.mismatch) {
          this.log.warn(
            { instrument: this.cfg.id, node: dc.node, mismatch: found.mismatch, certificate: this.cfg.calibration?.certificate },
            'device calibration dates disagree with the configured certificate (the configured one is used)',
          );
        }
      } catch (err) {
        this.log.warn({ instrument: this.cfg.id, node: dc.node, err: (err as Error).message }, 'cannot read the device calibration node');
      }
    };
    void read();
    this.calibrationTimer = setInterval(() => void read(), dc.refreshMinutes * 60_000);
    this.calibrationTimer.unref();
  }
}
