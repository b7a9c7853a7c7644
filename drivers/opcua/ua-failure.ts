/**
 * node-opcua's connection errors, turned into messages a user can act on. The untrusted-server
 * case looks the server's certificate up (over an unsecured discovery request, which every server
 * answers) to name the exact file to move.
 */
import { MessageSecurityMode, OPCUAClient } from 'node-opcua-client';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { OpcuaAuthConfig } from './config.js';
import { pkiPaths, rejectedFileOf, untrustedServerMessage } from './pki.js';

export type FailureKind = 'untrusted-server' | 'refused-client' | 'auth' | 'no-endpoint' | 'connection';

export class SessionFailure extends Error {
  override readonly name = 'SessionFailure';
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
  }
}

const AUTH_CODES = /Bad(UserAccessDenied|IdentityTokenInvalid|IdentityTokenRejected|CertificateUseNotAllowed|UserSignatureInvalid)/;
const REFUSED_CLIENT = /rejected by server|BadSecurityChecksFailed|BadCertificate\w+/;

export interface FailureContext {
  endpoint: string;
  pkiDir: string;
  auth: OpcuaAuthConfig | undefined;
  certificates: OPCUACertificateManager;
  timeoutMs: number;
}

export async function describeFailure(err: unknown, ctx: FailureContext): Promise<SessionFailure> {
  if (err instanceof SessionFailure) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (/server Certificate verification failed/i.test(text)) {
    const der = await serverCertificate(ctx).catch(() => undefined);
    const file = der ? rejectedFileOf(ctx.pkiDir, der) : undefined;
    return new SessionFailure(untrustedServerMessage(ctx.endpoint, ctx.pkiDir, file), 'untrusted-server');
  }
  const policy = /Cannot find (\w+) user token policy/i.exec(text);
  if (policy) {
    return new SessionFailure(
      `${ctx.endpoint} does not accept ${policy[1]!.toLowerCase()} login on this endpoint: check the instrument's auth settings`,
      'auth',
    );
  }
  const auth = AUTH_CODES.exec(text);
  if (auth) {
    const who =
      ctx.auth?.type === 'username'
        ? `user "${ctx.auth.username}"`
        : ctx.auth?.type === 'certificate'
          ? `user certificate ${ctx.auth.certificate}`
          : 'anonymous access';
    return new SessionFailure(`${ctx.endpoint} refused ${who} (${auth[0]}): check the instrument's auth settings`, 'auth');
  }
  if (/cannot find endpoint/i.test(text)) {
    return new SessionFailure(`${ctx.endpoint} offers no endpoint with this security mode and policy (${firstLine(text)})`, 'no-endpoint');
  }
  if (REFUSED_CLIENT.test(text)) {
    const code = /Bad\w+/.exec(text)?.[0] ?? 'rejected by server';
    const own = pkiPaths(ctx.pkiDir).ownCertificate;
    return new SessionFailure(
      `${ctx.endpoint} refused the connection (${code}): the server may not trust this gateway's certificate ${own}; trust it on the server`,
      'refused-client',
    );
  }
  if (/connection cannot be established/i.test(text)) {
    return new SessionFailure(`cannot connect to ${ctx.endpoint}: nothing answers there (server down, wrong port or host unreachable)`, 'connection');
  }
  return new SessionFailure(`cannot connect to ${ctx.endpoint}: ${firstLine(text)}`, 'connection');
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The certificate the server presents on its endpoints, fetched without security. */
async function serverCertificate(ctx: FailureContext): Promise<Buffer | undefined> {
  const client = OPCUAClient.create({
    applicationName: 'metrogate',
    clientCertificateManager: ctx.certificates,
    securityMode: MessageSecurityMode.None,
    connectionStrategy: { maxRetry: 0 },
    endpointMustExist: false,
    defaultTransactionTimeout: ctx.timeoutMs,
  });
  try {
    await client.connect(ctx.endpoint);
    const endpoints = await client.getEndpoints();
    return endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0)?.serverCertificate ?? undefined;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}
