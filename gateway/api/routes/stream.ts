import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { errors, StreamQuery } from '../schemas.js';

export async function streamRoutes(app: FastifyInstance, { deps, sse }: ApiContext): Promise<void> {
  const known = new Set(deps.instruments.map((i) => i.id));

  app.get<{ Querystring: StreamQuery }>(
    '/api/readings/stream',
    {
      schema: {
        summary: 'Live reading batches as Server-Sent Events',
        description:
          'Events: `hello` once, `readings` per poll cycle (data: the JSON of gateway/schemas/reading-batch.schema.json, ' +
          'as on the MQTT data topic), `heartbeat` while idle. A client that reads too slowly is disconnected.',
        tags: ['readings'],
        querystring: StreamQuery,
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      let filter: Set<string> | null = null;
      if (request.query.instrument !== undefined) {
        filter = new Set(
          request.query.instrument
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
        const unknown = [...filter].filter((id) => !known.has(id));
        if (unknown.length > 0 || filter.size === 0) {
          return reply.code(404).send({
            statusCode: 404,
            error: 'Not Found',
            message: `no instrument ${unknown.map((u) => `"${u}"`).join(', ') || '(empty list)'} in this gateway`,
          });
        }
      }
      if (sse.full) {
        return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'too many stream clients (api.stream.maxClients)' });
      }
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      sse.add(reply.raw, filter, `${request.ip}:${request.socket.remotePort ?? '?'}`);
    },
  );
}
