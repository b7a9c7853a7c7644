import type { FastifyInstance } from 'fastify';

export async function openapiRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3 document',
        tags: ['meta'],
        response: { 200: { description: 'OpenAPI 3.0 document', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } },
      },
    },
    async (_request, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
  );
}
