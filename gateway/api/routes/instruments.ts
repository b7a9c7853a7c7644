import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { requireBearerToken } from '../bearer-auth.js';
import { currentCal, instrumentView } from '../instrument-view.js';
import {
  errors,
  InstrumentListSchema,
  InstrumentParams,
  InstrumentViewSchema,
  QuarantineBodySchema,
  ReleaseBodySchema,
  StatusChangeSchema,
  type QuarantineBody,
  type ReleaseBody,
} from '../schemas.js';

export function notFound(reply: FastifyReply, id: string): FastifyReply {
  return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no instrument "${id}" in this gateway` });
}

export async function instrumentRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { deps, latest } = ctx;
  // Looked up per request: a hot reload adds and removes instruments.
  const byId = { get: (id: string) => deps.instruments.find((i) => i.id === id), has: (id: string) => deps.instruments.some((i) => i.id === id) };

  app.get(
    '/api/instruments',
    {
      schema: {
        summary: 'Every instrument with its latest reading per channel, calibration tag and online state',
        tags: ['instruments'],
        response: { 200: InstrumentListSchema },
      },
    },
    async () => ({ site: deps.site, gateway: deps.gatewayId, instruments: deps.instruments.map((i) => instrumentView(deps, latest, i)) }),
  );

  app.get<{ Params: InstrumentParams }>(
    '/api/instruments/:id',
    {
      schema: { summary: 'One instrument', tags: ['instruments'], params: InstrumentParams, response: { 200: InstrumentViewSchema, ...errors(400, 404) } },
    },
    async (request, reply) => {
      const inst = byId.get(request.params.id);
      return inst ? instrumentView(deps, latest, inst) : notFound(reply, request.params.id);
    },
  );
  manualStatusRoutes(app, ctx, byId.has);
}

/** Taking an instrument out of use and releasing it: people's acts, so behind the token. */
function manualStatusRoutes(app: FastifyInstance, ctx: ApiContext, known: (id: string) => boolean): void {
  const { deps } = ctx;
  const auth = requireBearerToken(ctx.config.token);
  const secured = { security: [{ bearerAuth: [] }] };
  app.post<{ Params: InstrumentParams; Body: QuarantineBody }>(
    '/api/instruments/:id/quarantine',
    {
      onRequest: auth,
      schema: {
        summary: 'Take an instrument out of use (quarantined or out_of_service) until released',
        description: 'Its readings keep flowing, tagged with the manual status and not traceable.',
        tags: ['calibration'],
        ...secured,
        params: InstrumentParams,
        body: QuarantineBodySchema,
        response: { 200: StatusChangeSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!known(id)) return notFound(reply, id);
      const { reason, status = 'quarantined', by } = request.body;
      deps.calibration.setManualStatus({ instrument: id, status, reason, ...(by ? { by } : {}) });
      request.log.warn({ instrument: id, status, reason, by }, 'api: instrument taken out of use');
      return { instrument: id, calibration: currentCal(deps, id) };
    },
  );

  app.post<{ Params: InstrumentParams; Body: ReleaseBody }>(
    '/api/instruments/:id/release',
    {
      onRequest: auth,
      schema: {
        summary: 'Release a quarantined or out-of-service instrument back to its calendar status',
        tags: ['calibration'],
        ...secured,
        params: InstrumentParams,
        body: ReleaseBodySchema,
        response: { 200: StatusChangeSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!known(id)) return notFound(reply, id);
      const { reason, by } = request.body;
      deps.calibration.setManualStatus({ instrument: id, status: null, reason, ...(by ? { by } : {}) });
      request.log.warn({ instrument: id, reason, by }, 'api: instrument released');
      return { instrument: id, calibration: currentCal(deps, id) };
    },
  );
}
