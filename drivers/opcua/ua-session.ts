/**
 * One connection and session to an OPC UA server, behind a small interface in plain types. The
 * rest of the driver never sees node-opcua. node-opcua's own reconnection is switched off
 * (maxRetry 0): when anything breaks, `lost` resolves and the instrument builds a new client,
 * session and subscriptions, which is the path that also survives a server restart.
 */
import { readFileSync } from 'node:fs';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua-client';
import type { OpcuaAuthConfig, OpcuaSecurityConfig } from './config.js';
import { certificateStore, derOf, rereadTrustList } from './pki.js';
import type { UaSample } from './sample.js';
import { describeFailure, SessionFailure } from './ua-failure.js';
import { createSubscription, type SubscriptionSpec, type UaSubscription } from './ua-subscription.js';
import { toSample } from './ua-values.js';

export { SessionFailure } from './ua-failure.js';
export type { SubscriptionSpec, MonitorSpec, UaSubscription, ItemStatus } from './ua-subscription.js';

export interface SessionOptions {
  endpoint: string;
  security: OpcuaSecurityConfig;
  auth: OpcuaAuthConfig | undefined;
  /** Connect, session and request timeout. */
  timeoutMs: number;
}

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
  const certificates = await certificateStore(opts.security.pkiDir);
  const ctx = { endpoint: opts.endpoint, pkiDir: opts.security.pkiDir, auth: opts.auth, certificates, timeoutMs: opts.timeoutMs };
  const secure = opts.security.mode !== 'None';
  const client = OPCUAClient.create({
    applicationName: 'metrogate',
    clientCertificateManager: certificates,
    securityMode: MessageSecurityMode[opts.security.mode],
    securityPolicy: secure ? SecurityPolicy[opts.security.policy] : SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    // Servers advertise their own host name; the configured address is the one that works here.
    endpointMustExist: false,
    defaultTransactionTimeout: opts.timeoutMs,
    requestedSessionTimeout: 60_000,
  });
  let closing = false;
  let resolveLost!: (reason: string) => void;
  const lost = new Promise<string>((r) => (resolveLost = r));
  const markLost = (reason: string) => {
    if (!closing) resolveLost(reason);
  };
  client.on('connection_lost', () => markLost('connection lost'));
  client.on('close', (err?: Error | null) => markLost(err ? `connection closed: ${err.message}` : 'connection closed'));

  let session: ClientSession;
  try {
    await withTimeout(client.connect(opts.endpoint), opts.timeoutMs, `no answer from ${opts.endpoint} within ${opts.timeoutMs} ms`);
    session = await client.createSession(identityOf(opts.auth));
  } catch (err) {
    closing = true;
    await client.disconnect().catch(() => undefined);
    const failure = await describeFailure(err, ctx);
    // The user may have moved the certificate into trusted/ by the next attempt.
    if (failure.kind === 'untrusted-server') await rereadTrustList(opts.security.pkiDir).catch(() => undefined);
    throw failure;
  }
  const subscriptions: UaSubscription[] = [];
  session.on('session_closed', () => markLost('session closed by the server'));
  session.on('keepalive_failure', () => markLost('session keep-alive failed'));

  return {
    lost,
    abandon: markLost,
    async read(nodeIds) {
      const values = await session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
      return values.map(toSample);
    },
    async readCalibration(node) {
      const paths = ['LastCalibrationDate', 'NextCalibrationDate'].map((name) => ({
        startingNode: node,
        relativePath: { elements: [{ includeSubtypes: true, isInverse: false, targetName: { namespaceIndex: namespaceOf(node), name } }] },
      }));
      const found = await session.translateBrowsePath(paths);
      const ids = found.map((r) => (r.statusCode.isGood() ? r.targets?.[0]?.targetId.toString() : undefined));
      const present = ids.filter((id): id is string => id !== undefined);
      const values = present.length > 0 ? await session.read(present.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }))) : [];
      const dateOf = (id: string | undefined) => {
        if (id === undefined) return null;
        const v: unknown = values[present.indexOf(id)]?.value.value;
        return v instanceof Date && v.getTime() > 0 ? v : null;
      };
      return { last: dateOf(ids[0]), next: dateOf(ids[1]) };
    },
    async subscribe(spec, onData) {
      const sub = await createSubscription(session, spec, onData, markLost);
      subscriptions.push(sub);
      return sub;
    },
    async close() {
      closing = true;
      for (const s of subscriptions) s.dispose();
      await session.close(true).catch(() => undefined);
      await client.disconnect().catch(() => undefined);
    },
  };
}

function identityOf(auth: OpcuaAuthConfig | undefined): UserIdentityInfo {
  if (!auth || auth.type === 'anonymous') return { type: UserTokenType.Anonymous };
  if (auth.type === 'username') return { type: UserTokenType.UserName, userName: auth.username, password: auth.password };
  let certificateData: Buffer;
  let privateKey: string;
  try {
    certificateData = derOf(readFileSync(auth.certificate));
    privateKey = readFileSync(auth.privateKey, 'utf8');
  } catch (err) {
    throw new SessionFailure(`cannot read the X.509 user certificate or key: ${(err as Error).message}`, 'auth');
  }
  return { type: UserTokenType.Certificate, certificateData, privateKey };
}

/** The calibration components are expected in the calibration object's own namespace. */
function namespaceOf(nodeId: string): number {
  const m = /^ns=(\d+);/.exec(nodeId);
  return m ? Number(m[1]) : 0;
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SessionFailure(message, 'connection')), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
