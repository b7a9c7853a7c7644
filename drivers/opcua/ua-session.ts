/**
 * One connection and session to an OPC UA server, behind a small interface in plain types. The
 * rest of the driver never sees node-opcua. node-opcua's own reconnection is switched off
 * (maxRetry 0): when anything breaks, `lost` resolves and the instrument builds a new client,
 * session and subscriptions, which is the path that also survives a server restart.
 */
import { AttributeIds } from 'node-opcua-client';
import type { UaSample } from './sample.js';
import { connectClient, type SessionOptions } from './ua-connect.js';
import { createSubscription, type SubscriptionSpec, type UaSubscription } from './ua-subscription.js';
import { toSample } from './ua-values.js';

export { SessionFailure } from './ua-failure.js';
export type { SessionOptions } from './ua-connect.js';
export type { SubscriptionSpec, MonitorSpec, UaSubscription, ItemStatus } from './ua-subscription.js';

export interface UaSession {
  /** One Read request; one sample per node, in order. */
  read(nodeIds: readonly string[]): Promise<UaSample[]>;
  /** Reads the `LastCalibrationDate` / `NextCalibrationDate` components of `node` (null when absent). */
  readCalibration(node: string): Promise<{ last: Date | null; next: Date | null }>;
  subscribe(spec: SubscriptionSpec, onData: (items: number[], samples: UaSample[], receivedAt: number) => void): Promise<UaSubscription>;
  /** Resolves with a reason once the connection, session or a subscription is gone. */
  readonly lost: Promise<string>;
  /** For callers that detect a dead session themselves (a failed read). */
  abandon(reason: string): void;
  close(): Promise<void>;
}

export async function openSession(opts: SessionOptions): Promise<UaSession> {
  let closing = false;
  let resolveLost!: (reason: string) => void;
  const lost = new Promise<string>((r) => (resolveLost = r));
  const markLost = (reason: string) => {
    if (!closing) resolveLost(reason);
  };
  const { client, session } = await connectClient(opts, markLost);
  const subscriptions: UaSubscription[] = [];
  // node-opcua times its requests out, but a request caught in a dying connection must not hold
  // a poll cycle or a reconnection forever: whatever is pending fails once the session is lost.
  const failOnLost = lost.then((reason) => {
    throw new Error(reason);
  });
  failOnLost.catch(() => undefined);
  const orLost = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failOnLost]);

  return {
    lost,
    abandon: markLost,
    async read(nodeIds) {
      const values = await orLost(session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }))));
      return values.map(toSample);
    },
    async readCalibration(node) {
      const paths = ['LastCalibrationDate', 'NextCalibrationDate'].map((name) => ({
        startingNode: node,
        relativePath: { elements: [{ includeSubtypes: true, isInverse: false, targetName: { namespaceIndex: namespaceOf(node), name } }] },
      }));
      const found = await orLost(session.translateBrowsePath(paths));
      const ids = found.map((r) => (r.statusCode.isGood() ? r.targets?.[0]?.targetId.toString() : undefined));
      const present = ids.filter((id): id is string => id !== undefined);
      const values = present.length > 0 ? await orLost(session.read(present.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })))) : [];
      const dateOf = (id: string | undefined) => {
        if (id === undefined) return null;
        const v: unknown = values[present.indexOf(id)]?.value.value;
        return v instanceof Date && v.getTime() > 0 ? v : null;
      };
      return { last: dateOf(ids[0]), next: dateOf(ids[1]) };
    },
    async subscribe(spec, onData) {
      const pending = createSubscription(session, spec, onData, markLost);
      // Kept even when the session is lost first, so that its watchdog is stopped with the rest.
      void pending.then(
        (sub) => (closing ? sub.dispose() : subscriptions.push(sub)),
        () => undefined,
      );
      return orLost(pending);
    },
    async close() {
      closing = true;
      for (const s of subscriptions) s.dispose();
      // Closing talks to the server (DeleteSubscriptions, CloseSession), which may be gone.
      const closed = (async () => {
        await session.close(true).catch(() => undefined);
        await client.disconnect().catch(() => undefined);
      })();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, opts.timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

/** The calibration components are expected in the calibration object's own namespace. */
function namespaceOf(nodeId: string): number {
  const m = /^ns=(\d+);/.exec(nodeId);
  return m ? Number(m[1]) : 0;
}
