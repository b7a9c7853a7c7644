import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { resolveApiConfig, type ApiConfig } from './api-config.js';
import type { ApiContext } from './api-context.js';
import type { ApiDeps } from './api-deps.js';
import { LatestReadings } from './latest-readings.js';
import { requireKnownHost } from './host-check.js';
import { gatewayMetrics } from './metrics.js';
import { calibrationRoutes } from './routes/calibration.js';
import { dccUploadRoutes } from './routes/dcc-upload.js';
import { healthRoutes } from './routes/health.js';
import { instrumentRoutes } from './routes/instruments.js';
import { metricsRoutes } from './routes/metrics.js';
import { openapiRoutes } from './routes/openapi.js';
import { pageRoutes } from './routes/page.js';
import { streamRoutes } from './routes/stream.js';
import { completenessRoutes } from './routes/completeness.js';
import { intervalRoutes } from './routes/intervals.js';
import { checkRoutes } from './routes/checks.js';
import { SseHub } from './sse-hub.js';

/** A scraper or the page asking every few seconds would fill the log: requests log at debug, errors still at error. */
class QuietRequests extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ url: request.url, statusCode: reply.statusCode, err: error }, 'request errored');
    else reply.log.debug({ url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Assembles the HTTP API on a gateway's deps; no I/O until listen(). Subscribes to the live
 * readings at once (so the latest values are there when the first request comes) and lets go of
 * them when the app closes.
 */
export function buildApi(deps: ApiDeps, apiConfig: ApiConfig | undefined, log: Logger): FastifyInstance {
  const config = resolveApiConfig(apiConfig);
  const apiLog: FastifyBaseLogger = log.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: apiLog,
    logController: new QuietRequests(),
    ajv: {
      // Reject what the schema does not allow instead of quietly fixing it: a typo in a field
      // name or a string where a number belongs is the caller's bug to see.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true },
    },
  });

  // Before any route, body or token check: a request for another host is not ours to answer.
  app.addHook('onRequest', requireKnownHost(config));
  const latest = new LatestReadings(deps.instruments, config.trendPoints);
  const sse = new SseHub(deps.gatewayId, config.stream, log.child({ component: 'api' }));
  const metrics = gatewayMetrics(deps, () => sse.stats);
  const unsubscribe = [deps.onReadings(latest.take), deps.onReadings(sse.broadcast), deps.onInstrumentsChanged(() => latest.setInstruments(deps.instruments))];
  // Streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => sse.close());
  app.addHook('onClose', async () => {
    for (const u of unsubscribe) u();
    metrics.close();
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'metrogate gateway API',
        version: VERSION,
        description: 'Health, instruments with their latest readings and calibration status, live readings (SSE), calibration records, metrics.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'api.token from the config' } } },
    },
  });

  const ctx: ApiContext = { deps, config, latest, sse, metrics };
  // Registered in order and loaded on ready()/listen(): swagger first, so it sees every route.
  for (const routes of [
    healthRoutes,
    instrumentRoutes,
    calibrationRoutes,
    dccUploadRoutes,
    streamRoutes,
    metricsRoutes,
    pageRoutes,
    completenessRoutes,
    intervalRoutes,
    checkRoutes,
  ]) {
    void app.register(routes, ctx);
  }
  void app.register(openapiRoutes);
  return app;
}
