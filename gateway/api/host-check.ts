/**
 * Against DNS rebinding: a web page on attacker.example can make its own name resolve to
 * 127.0.0.1 and then read this API as "same origin". The browser still sends `Host:
 * attacker.example`, so a request is answered only when its Host (and its Origin, when a browser
 * sends one) names this API: api.host, a loopback name, or one of api.allowedHosts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from './api-config.js';
import { isLoopback } from './check-api-config.js';

const PROBES = new Set(['/healthz', '/readyz']);
const ANY_INTERFACE = new Set(['0.0.0.0', '::', '[::]']);

/** `Host: [::1]:8080` → `::1`; `Host: Gw.Lab:8080` → `gw.lab`. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  return colon < 0 || h.indexOf(':', colon + 1) >= 0 ? h : h.slice(0, colon);
}

export function requireKnownHost(config: Pick<ApiConfig, 'host' | 'allowedHosts'>) {
  const allowed = new Set((config.allowedHosts ?? []).map(hostnameOf));
  if (!ANY_INTERFACE.has(config.host)) allowed.add(hostnameOf(config.host));
  const known = (name: string) => allowed.has(name) || isLoopback(name);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Probes (Kubernetes sends the pod's IP as Host) may ask whether the process lives; the
    // answer tells a rebinding page nothing worth having.
    if (PROBES.has(request.routeOptions.url ?? '')) return;
    const host = request.headers.host;
    const origin = request.headers.origin;
    let refused: string | undefined;
    if (host === undefined || !known(hostnameOf(host))) refused = `Host ${JSON.stringify(host ?? '')}`;
    else if (origin !== undefined && !knownOrigin(origin, known)) refused = `Origin ${JSON.stringify(origin)}`;
    if (refused === undefined) return;
    request.log.warn({ host, origin }, 'api: refused a request for another host (DNS rebinding?)');
    return reply.code(403).send({
      statusCode: 403,
      error: 'Forbidden',
      message: `${refused} is not a name of this API: use ${[...allowed][0] ?? '127.0.0.1'} or localhost, or add the name to api.allowedHosts`,
    });
  };
}

function knownOrigin(origin: string, known: (name: string) => boolean): boolean {
  try {
    return known(hostnameOf(new URL(origin).host));
  } catch {
    return false; // "null" (a sandboxed frame, a file) or garbage
  }
}
