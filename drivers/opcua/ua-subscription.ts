/**
 * One OPC UA subscription and its monitored items. Items with the same sampling interval, queue
 * size and deadband share one CreateMonitoredItems request; every publish response becomes one
 * delivery (item indices + samples), read from the raw notification rather than per-item events.
 */
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataChangeFilter,
  DataChangeNotification,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
  type NotificationMessage,
  type StatusCode,
} from 'node-opcua-client';
import type { DeadbandConfig } from './config.js';
import type { UaSample } from './sample.js';
import { toSample } from './ua-values.js';

export interface MonitorSpec {
  nodeId: string;
  samplingIntervalMs: number;
  queueSize: number;
  deadband: DeadbandConfig | undefined;
}

export interface SubscriptionSpec {
  publishingIntervalMs: number;
  items: MonitorSpec[];
}

/** Per item, in spec order: `Good` or the code the server refused it with (`BadNodeIdUnknown`). */
export type ItemStatus = { ok: true } | { ok: false; status: string };

export interface UaSubscription {
  items: ItemStatus[];
  /** Stops the watchdog; the session's close ends the subscription on the server. */
  dispose(): void;
}

interface Group {
  group: ClientMonitoredItemGroup;
  /** Item index (in the spec) of each of the group's monitored items. */
  indices: number[];
}

/** Keep-alives when idle: a server that silently stopped answering is noticed after three. */
const KEEPALIVE_TARGET_MS = 2_000;

export async function createSubscription(
  session: ClientSession,
  spec: SubscriptionSpec,
  onData: (items: number[], samples: UaSample[], receivedAt: number) => void,
  markLost: (reason: string) => void,
): Promise<UaSubscription> {
  const keepAliveCount = Math.max(1, Math.ceil(KEEPALIVE_TARGET_MS / spec.publishingIntervalMs));
  const sub = await session.createSubscription2({
    requestedPublishingInterval: spec.publishingIntervalMs,
    requestedMaxKeepAliveCount: keepAliveCount,
    requestedLifetimeCount: keepAliveCount * 6,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 1,
  });
  sub.on('status_changed', (status: StatusCode) => {
    if (!status.isGood()) markLost(`subscription ${status.name}`);
  });
  const watchdog = watchPublishing(sub, spec.publishingIntervalMs * keepAliveCount, markLost);

  const groups: Group[] = [];
  const itemOfHandle = new Map<number, number>();
  const mapHandles = () => {
    for (const { group, indices } of groups) {
      group.monitoredItems.forEach((mi, j) => itemOfHandle.set(mi.monitoringParameters.clientHandle, indices[j]!));
    }
  };
  sub.on('received_notifications', (msg: NotificationMessage) => {
    const receivedAt = Date.now();
    for (const data of msg.notificationData ?? []) {
      if (!(data instanceof DataChangeNotification)) continue;
      const items: number[] = [];
      const samples: UaSample[] = [];
      for (const n of data.monitoredItems ?? []) {
        let index = itemOfHandle.get(n.clientHandle);
        if (index === undefined) {
          // A publish response processed in the same tick as the CreateMonitoredItems answer.
          mapHandles();
          index = itemOfHandle.get(n.clientHandle);
          if (index === undefined) continue;
        }
        items.push(index);
        samples.push(toSample(n.value));
      }
      if (items.length > 0) onData(items, samples, receivedAt);
    }
  });

  try {
    await monitorAll(sub, spec, groups);
  } catch (err) {
    clearInterval(watchdog);
    throw err;
  }
  mapHandles();
  const items: ItemStatus[] = new Array(spec.items.length);
  for (const { group, indices } of groups) {
    group.monitoredItems.forEach((mi, j) => {
      const status = mi.statusCode;
      items[indices[j]!] = status.isGood() ? { ok: true } : { ok: false, status: status.name };
    });
  }
  return { items, dispose: () => clearInterval(watchdog) };
}

async function monitorAll(sub: ClientSubscription, spec: SubscriptionSpec, groups: Group[]): Promise<void> {
  for (const indices of groupByParameters(spec.items)) {
    const first = spec.items[indices[0]!]!;
    // Created synchronously and registered before its request goes out: the first publish
    // response may be processed before a promise for the group would resolve.
    const group = ClientMonitoredItemGroup.create(
      sub,
      indices.map((i) => ({ nodeId: spec.items[i]!.nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: first.samplingIntervalMs, queueSize: first.queueSize, discardOldest: true, filter: filterOf(first.deadband) },
      TimestampsToReturn.Both,
    );
    groups.push({ group, indices });
    await new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve());
      group.once('err', (message: string) => reject(new Error(`cannot create monitored items: ${message}`)));
    });
  }
}

/** node-opcua's publish engine does not notice a server that silently stopped answering. */
function watchPublishing(sub: ClientSubscription, keepAliveMs: number, markLost: (reason: string) => void): NodeJS.Timeout {
  let heard = Date.now();
  const touch = () => (heard = Date.now());
  sub.on('keepalive', touch);
  sub.on('received_notifications', touch);
  const limit = keepAliveMs * 3;
  const timer = setInterval(
    () => {
      if (Date.now() - heard > limit) markLost(`no publish response for ${Math.round((Date.now() - heard) / 1000)} s`);
    },
    Math.min(limit, 1_000),
  );
  timer.unref();
  return timer;
}

function groupByParameters(items: readonly MonitorSpec[]): number[][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const d = item.deadband;
    const key = `${item.samplingIntervalMs}/${item.queueSize}/${d?.type ?? 'none'}/${d?.value ?? 0}`;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

function filterOf(deadband: DeadbandConfig | undefined): DataChangeFilter | null {
  if (!deadband || deadband.type === 'none') return null;
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
    deadbandValue: deadband.value,
  });
}
