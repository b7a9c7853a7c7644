import type { MetrogateConfig } from '../../config/schema.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import { resolveApiConfig } from './api-config.js';
import type { Phase } from './api-deps.js';

export interface GatewayApi {
  /** http://host:port/ of the live page. */
  readonly url: string;
  /** The gateway's drivers are started: /readyz may answer ready. */
  running(): void;
  /** The gateway is stopping: /readyz answers 503 from now on. */
  stopping(): void;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Overrides api.port (the demo takes a free port with 0). */
  port?: number;
}

/**
 * Starts the API of a built (not yet started) gateway, so /healthz answers while the gateway
 * starts. Returns null when api.enabled is false. A port already taken is fatal: a gateway
 * without its health endpoint would look dead to whatever supervises it.
 */
export async function serveGatewayApi(gateway: Gateway, config: MetrogateConfig, log: Logger, opts: ServeOptions = {}): Promise<GatewayApi | null> {
  const api = resolveApiConfig(config.api);
  if (!api.enabled) return null;
  // Loaded only when serving: Fastify, its schemas and prom-client are ~20 MB resident that a
  // gateway with `api.enabled: false` should not carry.
  const [{ buildApi }, { apiDepsFromGateway }] = await Promise.all([import('./build-api.js'), import('./gateway-deps.js')]);
  let phase: Phase = 'starting';
  const deps = apiDepsFromGateway(gateway, config, { phase: () => phase });
  const app = buildApi(deps, api, log);
  const port = opts.port ?? api.port;
  try {
    await app.listen({ host: api.host, port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`api: cannot listen on ${api.host}:${port} (api.host, api.port): ${why}`);
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${bound}/`;
  log.info({ url, host: api.host, port: bound, token: api.token ? 'set' : 'none' }, 'api listening');
  return {
    url,
    running: () => void (phase = 'running'),
    stopping: () => void (phase = 'stopping'),
    close: () => app.close(),
  };
}
