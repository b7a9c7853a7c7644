import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { requireBearerToken } from '../bearer-auth.js';
import { currentCal } from '../instrument-view.js';
import { CalibrationListSchema, CalibrationQuery, errors, RecordBodySchema, RecordSchema, type RecordBody } from '../schemas.js';
import { notFound } from './instruments.js';

export async function calibrationRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { deps } = ctx;
  // Looked up per request: a hot reload adds and removes instruments.
  const known = { has: (id: string) => deps.instruments.some((i) => i.id === id) };

  app.get<{ Querystring: CalibrationQuery }>(
    '/api/calibration',
    {
      schema: {
        summary: 'Calibration status of every instrument (summary and per channel) and every calibration record, newest first',
        tags: ['calibration'],
        querystring: CalibrationQuery,
        response: { 200: CalibrationListSchema, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const only = request.query.instrument;
      if (only !== undefined && !known.has(only)) return notFound(reply, only);
      const instruments = deps.instruments
        .filter((i) => only === undefined || i.id === only)
        .map((i) => ({
          instrument: i.id,
          name: i.name ?? null,
          lab: i.lab ?? null,
          calibration: currentCal(deps, i.id),
          channels: deps.calibration.channelStatuses(i.id),
        }));
      return { instruments, records: deps.calibration.records(only) };
    },
  );

  app.post<{ Body: RecordBody }>(
    '/api/calibration/records',
    {
      onRequest: requireBearerToken(ctx.config.token),
      schema: {
        summary: 'Add a calibration record (a new certificate) and apply it',
        tags: ['calibration'],
        security: [{ bearerAuth: [] }],
        body: RecordBodySchema,
        response: { 201: RecordSchema, ...errors(400, 401, 403, 500) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!known.has(body.instrument)) {
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `body/instrument: no instrument "${body.instrument}" in this gateway` });
      }
      const record = { ...body, source: 'api' as const };
      try {
        await deps.calibration.addRecord(record);
      } catch (err) {
        // The engine throws plain errors for a record it refuses; a failing disk has an errno code.
        const io = typeof (err as NodeJS.ErrnoException).code === 'string';
        const message = `calibration record ${body.certificate} for ${body.instrument}: ${(err as Error).message}`;
        request.log.error({ instrument: body.instrument, certificate: body.certificate, err: (err as Error).message }, 'api: calibration record not added');
        return reply.code(io ? 500 : 400).send({ statusCode: io ? 500 : 400, error: io ? 'Internal Server Error' : 'Bad Request', message });
      }
      request.log.info({ instrument: body.instrument, certificate: body.certificate, due: body.due }, 'api: calibration record added');
      return reply.code(201).send(record);
    },
  );
}
