/**
 * Pure planning: which channels are subscribed and which polled, the monitored item each channel
 * asks for, how the items are spread over subscriptions, and how a delivery is cut into batches.
 */
import type { OpcuaInstrumentConfig } from './config.js';
import type { UaSample } from './sample.js';
import type { MonitorSpec } from './ua-subscription.js';

export interface PlannedSubscription {
  publishingIntervalMs: number;
  /** Channel index of each item, in item order. */
  channels: number[];
  items: MonitorSpec[];
}

export interface ChannelPlan {
  subscriptions: PlannedSubscription[];
  /** Channel indices read by polling, in channel order. */
  polled: number[];
  /** Reads of at most maxNodesPerRead nodes, as channel indices. */
  pollBatches: number[][];
}

export function planChannels(cfg: OpcuaInstrumentConfig): ChannelPlan {
  const subscribed: number[] = [];
  const polled: number[] = [];
  cfg.channels.forEach((ch, i) => ((ch.read ?? cfg.read) === 'poll' ? polled : subscribed).push(i));
  const s = cfg.subscription;
  const subscriptions = chunk(subscribed, s.maxItemsPerSubscription).map((channels) => ({
    publishingIntervalMs: s.publishingIntervalMs,
    channels,
    items: channels.map((i): MonitorSpec => {
      const ch = cfg.channels[i]!;
      return {
        nodeId: ch.nodeId,
        samplingIntervalMs: ch.samplingIntervalMs ?? s.samplingIntervalMs,
        queueSize: ch.queueSize ?? s.queueSize,
        deadband: ch.deadband ?? s.deadband,
      };
    }),
  }));
  return { subscriptions, polled, pollBatches: chunk(polled, cfg.polling.maxNodesPerRead) };
}

export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export interface DeliveryPart {
  channels: number[];
  samples: UaSample[];
}

/**
 * A publish response may hold several samples of one channel (queueSize > 1, or a server that
 * queued while the client was slow). A batch carries at most one reading per channel, so such a
 * delivery becomes several batches, in the server's order.
 */
export function splitDelivery(channels: readonly number[], samples: readonly UaSample[]): DeliveryPart[] {
  const parts: DeliveryPart[] = [];
  let current: DeliveryPart = { channels: [], samples: [] };
  let seen = new Set<number>();
  channels.forEach((ch, i) => {
    if (seen.has(ch)) {
      parts.push(current);
      current = { channels: [], samples: [] };
      seen = new Set();
    }
    seen.add(ch);
    current.channels.push(ch);
    current.samples.push(samples[i]!);
  });
  if (current.channels.length > 0) parts.push(current);
  return parts;
}
