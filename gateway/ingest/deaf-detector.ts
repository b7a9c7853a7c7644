import type { Logger } from '../log.js';

/** Readings the gateways must report polling, with none reaching us, before we call ourselves deaf. */
export const DEAF_AFTER_READINGS = 200;
/** ...and for at least this long, so a burst of statistics after a quiet spell is no alarm. */
export const DEAF_AFTER_MS = 20_000;

export interface DeafHealth {
  /** Gateways say they poll, and no data message reached this ingester for a while. */
  deaf: boolean;
  /** Times it became deaf. */
  episodes: number;
  /** Data messages received since start. */
  dataMessages: number;
  /** Gateways heard from on the statistics topic. */
  gateways: number;
}

/**
 * Notices an ingester that is connected and subscribed as far as it can tell, yet receives no
 * data: the gateways' statistics (which come on a subscription of their own, not the shared
 * data one) say they keep polling, so data exists that no longer reaches us. It cannot tell a
 * lost subscription from a broker that routes everything to other members of the group, so it
 * waits for enough readings that a group sharing them round robin gives every member some.
 */
export class DeafDetector {
  private readonly polledBy = new Map<string, number>();
  private claimedSinceData = 0;
  private lastDataAt: number;
  private state: DeafHealth = { deaf: false, episodes: 0, dataMessages: 0, gateways: 0 };

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lastDataAt = now();
  }

  health(): DeafHealth {
    return { ...this.state, gateways: this.polledBy.size };
  }

  data(): void {
    this.state.dataMessages++;
    this.claimedSinceData = 0;
    this.lastDataAt = this.now();
    if (this.state.deaf) {
      this.state.deaf = false;
      this.log.info({}, 'ingest receives data again');
    }
  }

  /** A gateway's statistics: `polled` is its running total of readings polled since it started. */
  gatewayStats(gateway: string, polled: number): void {
    const before = this.polledBy.get(gateway);
    this.polledBy.set(gateway, polled);
    // A restarted gateway counts from 0 again: only growth is evidence of new readings.
    if (before !== undefined && polled > before) this.claimedSinceData += polled - before;
    this.check();
  }

  /** A new connection: what the broker does from now on is what counts. */
  reset(): void {
    this.claimedSinceData = 0;
    this.lastDataAt = this.now();
  }

  private check(): void {
    const silentMs = this.now() - this.lastDataAt;
    if (this.state.deaf || this.claimedSinceData < DEAF_AFTER_READINGS || silentMs < DEAF_AFTER_MS) return;
    this.state.deaf = true;
    this.state.episodes++;
    this.log.warn(
      { silentMs, readingsPolledMeanwhile: this.claimedSinceData, gateways: this.polledBy.size },
      'ingest is connected but deaf: gateways keep polling and no data reaches this ingester (lost subscription at the broker?)',
    );
  }
}
