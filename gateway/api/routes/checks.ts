import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { requireBearerToken } from '../bearer-auth.js';
import {
  CheckListSchema,
  CheckParams,
  CheckRecordBodySchema,
  CheckResultSchema,
  CheckResultsQuery,
  CheckResultsSchema,
  type CheckRecordBody,
} from '../check-schemas.js';
import { errors } from '../schemas.js';
import { CheckInputError } from '../../checks/check-runner.js';

/** Intermediate checks: their chart state, their results, and an operator's check-standard result. */
export async function checkRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { deps } = ctx;
  const none = (id: string) => ({ statusCode: 404, error: 'Not Found', message: `no check "${id}" in this gateway's config` });

  app.get(
    '/api/checks',
    {
      schema: { summary: 'Every intermediate check with its control-chart state and last result', tags: ['checks'], response: { 200: CheckListSchema } },
    },
    async () => ({ checks: deps.checks?.summaries() ?? [] }),
  );

  app.get<{ Params: CheckParams; Querystring: CheckResultsQuery }>(
    '/api/checks/:id/results',
    {
      schema: {
        summary: 'The last results of one check, oldest first',
        tags: ['checks'],
        params: CheckParams,
        querystring: CheckResultsQuery,
        response: { 200: CheckResultsSchema, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const results = deps.checks?.results(id, Number(request.query.limit ?? 100));
      return results ? { check: id, results } : reply.code(404).send(none(id));
    },
  );

  app.post<{ Params: CheckParams; Body: CheckRecordBody }>(
    '/api/checks/:id/results',
    {
      onRequest: requireBearerToken(ctx.config.token),
      schema: {
        summary: 'Record a check-standard result (the instrument measured its check standard); judged, charted, and a failure quarantines the instrument',
        tags: ['checks'],
        security: [{ bearerAuth: [] }],
        params: CheckParams,
        body: CheckRecordBodySchema,
        response: { 201: CheckResultSchema, ...errors(400, 401, 403, 404, 500) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!deps.checks) return reply.code(404).send(none(id));
      try {
        const result = deps.checks.record(id, {
          ...(request.body.measured !== undefined && { measured: request.body.measured }),
          ...(request.body.by && { by: request.body.by }),
        });
        request.log.info({ check: id, verdict: result.verdict, tripped: result.tripped, by: result.by }, 'api: check result recorded');
        return reply.code(201).send(result);
      } catch (err) {
        if (err instanceof CheckInputError)
          return reply.code(err.status).send({ statusCode: err.status, error: err.status === 404 ? 'Not Found' : 'Bad Request', message: err.message });
        request.log.error({ check: id, err: (err as Error).message }, 'api: check result not recorded');
        return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: `check ${id}: ${(err as Error).message}` });
      }
    },
  );
}
