import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { CompletenessSchema } from '../completeness-view.js';

export async function completenessRoutes(app: FastifyInstance, { deps }: ApiContext): Promise<void> {
  app.get(
    '/api/completeness',
    {
      schema: {
        summary: 'End-to-end completeness: last accepted seqs, resends served, gaps found and repaired',
        tags: ['health'],
        response: { 200: CompletenessSchema },
      },
    },
    async () => deps.completeness?.() ?? { gateway: null, ingest: null },
  );
}
