import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';
import type { ApiContext } from '../api-context.js';
import type { ApiDeps } from '../api-deps.js';
import { HealthSchema, ReadinessSchema, type Readiness } from '../schemas.js';

/** Ready: config loaded, drivers started, every sink connected or spooling. */
export function readiness(deps: ApiDeps): Readiness {
  const phase = deps.phase();
  const components: Readiness['components'] = [
    { name: 'config', ready: true, detail: `loaded: site ${deps.site}, ${deps.instruments.length} instruments` },
  ];
  const states = deps.instruments.map((i) => deps.instrumentState(i.id));
  const online = states.filter((s) => s?.online === true).length;
  // An unreachable device marks its own readings bad; it does not make the gateway unready.
  const driverDetail =
    phase === 'starting' ? 'starting' : phase === 'stopping' ? 'stopping' : `started: ${online} of ${deps.instruments.length} instruments online`;
  components.push({ name: 'drivers', ready: phase === 'running', detail: driverDetail });
  const spooling = new Set(deps.spools().map((s) => s.sink));
  for (const sink of deps.sinks()) {
    const ready = sink.connected || spooling.has(sink.name);
    const detail = sink.connected ? 'connected' : spooling.has(sink.name) ? 'disconnected, spooling to disk' : 'disconnected';
    components.push({ name: `sink:${sink.name}`, ready, detail });
  }
  const ingest = deps.ingest();
  if (ingest) {
    const s = ingest.stats;
    components.push({ name: 'ingest', ready: true, detail: `database ${ingest.database}: ${s.points} points written, ${s.writeErrors} write errors, ${s.rejectedMessages} messages refused` });
  }
  return { ready: components.every((c) => c.ready), phase, components };
}

export async function healthRoutes(app: FastifyInstance, { deps }: ApiContext): Promise<void> {
  const startedAt = Date.now();
  app.get('/healthz', {
    schema: { summary: 'The process is up', tags: ['health'], response: { 200: HealthSchema } },
  }, async () => ({ status: 'ok' as const, version: VERSION, uptimeSeconds: (Date.now() - startedAt) / 1000 }));

  app.get('/readyz', {
    schema: {
      summary: 'Ready to serve: config loaded, drivers started, sinks connected or spooling',
      description: 'Answers 503 with the same body while any component is not ready.',
      tags: ['health'],
      response: { 200: ReadinessSchema, 503: ReadinessSchema },
    },
  }, async (_request, reply) => {
    const r = readiness(deps);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
}
