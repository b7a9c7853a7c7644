/**
 * Connecting to an OPC UA server: a client with the configured security and PKI, a session with
 * the configured user, and node-opcua's errors turned into messages (ua-failure.ts). Shared by the
 * driver's sessions and by `metrogate browse`.
 */
import { readFileSync } from 'node:fs';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy, UserTokenType, type ClientSession, type UserIdentityInfo } from 'node-opcua-client';
import type { OpcuaAuthConfig, OpcuaSecurityConfig } from './config.js';
import { certificateStore, derOf, rereadTrustList, undoOpensslConfLeak } from './pki.js';
import { describeFailure, SessionFailure } from './ua-failure.js';

export interface SessionOptions {
  endpoint: string;
  security: OpcuaSecurityConfig;
  auth: OpcuaAuthConfig | undefined;
  /** Connect, session and request timeout. */
  timeoutMs: number;
}

export interface UaConnection {
  client: OPCUAClient;
  session: ClientSession;
}

/** `onLost` hears every way the connection or session can end after it was established. */
export async function connectClient(opts: SessionOptions, onLost: (reason: string) => void): Promise<UaConnection> {
  const certificates = await certificateStore(opts.security.pkiDir);
  const secure = opts.security.mode !== 'None';
  const client = OPCUAClient.create({
    applicationName: 'metrogate',
    clientCertificateManager: certificates,
    securityMode: MessageSecurityMode[opts.security.mode],
    securityPolicy: secure ? SecurityPolicy[opts.security.policy] : SecurityPolicy.None,
    // node-opcua's own reconnection is off: the caller rebuilds everything (see ua-session.ts).
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    // Servers advertise their own host name; the configured address is the one that works here.
    endpointMustExist: false,
    defaultTransactionTimeout: opts.timeoutMs,
    requestedSessionTimeout: 60_000,
  });
  let connected = false;
  client.on('connection_lost', () => connected && onLost('connection lost'));
  client.on('close', (err?: Error | null) => connected && onLost(err ? `connection closed: ${err.message}` : 'connection closed'));
  try {
    await withTimeout(client.connect(opts.endpoint), opts.timeoutMs, `no answer from ${opts.endpoint} within ${opts.timeoutMs} ms`);
    const session = await client.createSession(identityOf(opts.auth));
    connected = true;
    session.on('session_closed', () => onLost('session closed by the server'));
    session.on('keepalive_failure', () => onLost('session keep-alive failed'));
    return { client, session };
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    const failure = await describeFailure(err, {
      endpoint: opts.endpoint,
      pkiDir: opts.security.pkiDir,
      auth: opts.auth,
      certificates,
      timeoutMs: opts.timeoutMs,
    });
    // The user may have moved the certificate into trusted/ by the next attempt; re-reading the
    // folder does not depend on node-opcua's file watcher (missed events on network or container volumes).
    if (failure.kind === 'untrusted-server') await rereadTrustList(opts.security.pkiDir).catch(() => undefined);
    throw failure;
  } finally {
    undoOpensslConfLeak();
  }
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
