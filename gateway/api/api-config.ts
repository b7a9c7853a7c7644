/** The config schema of the HTTP API (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { TimerMs } from '../../config/common.js';

export const ApiStreamSchema = Type.Object(
  {
    /** A heartbeat event keeps idle connections (and proxies) open and lets the page see a stall. */
    heartbeatMs: TimerMs({ minimum: 100, default: 15_000 }),
    /**
     * Bytes a client may have waiting to be sent; past it the client is dropped, so a slow reader
     * costs memory up to this bound and never slows the gateway.
     */
    maxClientBufferBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Concurrent stream clients; one more gets 503. */
    maxClients: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
  },
  { additionalProperties: false },
);

export const ApiSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Loopback by default: exposing the API is a decision, not an accident. */
    host: Type.String({ default: '127.0.0.1', minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /**
     * Bearer token for routes that change state; use ${METROGATE_API_TOKEN:-}. Empty (or absent)
     * means no token: those routes then refuse every request (403), they never run unprotected.
     */
    token: Type.Optional(Type.String({ pattern: '^(?:[\\s\\S]{16,})?$', description: 'empty (no token) or at least 16 characters' })),
    /**
     * Host names (or addresses) the API answers to besides api.host and the loopback names: a
     * request naming another Host, or sent from a page of another origin, is refused, so a web
     * page cannot reach the API through a DNS name rebound to this machine.
     */
    allowedHosts: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9.:\\[\\]_-]+$', description: 'a host name or address, without scheme or port' })),
    ),
    /** Numeric values kept per channel for the trend shown on the live page. */
    trendPoints: Type.Integer({ minimum: 2, maximum: 1000, default: 60 }),
    stream: Type.Optional(ApiStreamSchema),
  },
  { additionalProperties: false },
);

export type ApiStreamConfig = Static<typeof ApiStreamSchema>;
export type ApiConfig = Static<typeof ApiSchema>;

/** What a config without an `api:` section (or without `api.stream`) gets. */
export const API_DEFAULTS: ApiConfig = { enabled: true, host: '127.0.0.1', port: 8080, trendPoints: 60 };
export const STREAM_DEFAULTS: ApiStreamConfig = { heartbeatMs: 15_000, maxClientBufferBytes: 1_048_576, maxClients: 64 };

/** The API config with every default filled in, whether or not the file had the section. */
export function resolveApiConfig(api: ApiConfig | undefined): ApiConfig & { stream: ApiStreamConfig } {
  const merged = { ...API_DEFAULTS, ...api };
  return { ...merged, stream: { ...STREAM_DEFAULTS, ...merged.stream } };
}
