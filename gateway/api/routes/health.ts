import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';
import type { ApiContext } from '../api-context.js';
import type { ApiDeps, IngestHealth, SinkHealth, SpoolStats } from '../api-deps.js';
import { HealthSchema, ReadinessSchema, type Readiness } from '../schemas.js';

/**
 * Ready: config loaded, drivers started, every sink taking writes and the ingest role storing
 * them. A sink whose destination is down is not ready even though its readings wait safely in
 * the spool: readiness says whether data reaches its destination now, and the detail says why not.
 */
export function readiness(deps: ApiDeps): Readiness {
  const phase = deps.phase();
  const components: Readiness['components'] = [{ name: 'config', ready: true, detail: `loaded: site ${deps.site}, ${deps.instruments.length} instruments` }];
  const states = deps.instruments.map((i) => deps.instrumentState(i.id));
  const online = states.filter((s) => s?.online === true).length;
  // An unreachable device marks its own readings bad; it does not make the gateway unready.
  const driverDetail =
    phase === 'starting' ? 'starting' : phase === 'stopping' ? 'stopping' : `started: ${online} of ${deps.instruments.length} instruments online`;
  components.push({ name: 'drivers', ready: phase === 'running', detail: driverDetail });
  const spools = new Map(deps.spools().map((s) => [s.sink, s]));
  for (const sink of deps.sinks()) components.push(sinkReadiness(sink, spools.get(sink.name)));
  const ingest = deps.ingest();
  if (ingest) components.push(ingestReadiness(ingest));
  return { ready: components.every((c) => c.ready), phase, components };
}

type Component = Readiness['components'][number];

function sinkReadiness(sink: SinkHealth, spool: SpoolStats | undefined): Component {
  const name = `sink:${sink.name}`;
  const waiting = spool && spool.depth > 0 ? `; ${spool.depth} readings wait in the spool` : '';
  if (spool?.lastError) return { name, ready: false, detail: `writes failing: ${spool.lastError}${waiting}` };
  if (!sink.connected) return { name, ready: false, detail: `disconnected${waiting}` };
  return { name, ready: true, detail: 'connected' };
}

function ingestReadiness(ingest: IngestHealth): Component {
  const s = ingest.stats;
  const counts = `database ${ingest.database}: ${s.points} points written, ${s.writeErrors} write errors, ${s.rejectedMessages} messages refused`;
  if (ingest.writeError !== null) return { name: 'ingest', ready: false, detail: `writes failing: ${ingest.writeError}; ${counts}` };
  if (!ingest.connected) return { name: 'ingest', ready: false, detail: `broker disconnected; ${counts}` };
  // Connected is not enough: a refused or lost subscription, or no data while gateways poll.
  const l = ingest.listening;
  if (l?.deaf) return { name: 'ingest', ready: false, detail: `DEAF: gateways poll but no data arrives; ${counts}` };
  if (l && !l.subscribed) {
    const problems = l.problems.filter((p) => p.reasonCode !== -1).map((p) => `${p.filter}: ${p.problem} (${p.reasonCode})`);
    return { name: 'ingest', ready: false, detail: `not subscribed${problems.length ? `: ${problems.join(', ')}` : ''}; ${counts}` };
  }
  return { name: 'ingest', ready: true, detail: counts };
}

export async function healthRoutes(app: FastifyInstance, { deps }: ApiContext): Promise<void> {
  const startedAt = Date.now();
  app.get(
    '/healthz',
    {
      schema: { summary: 'The process is up', tags: ['health'], response: { 200: HealthSchema } },
    },
    async () => ({ status: 'ok' as const, version: VERSION, uptimeSeconds: (Date.now() - startedAt) / 1000 }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Ready: config loaded, drivers started, every sink and the ingest role writing successfully',
        description: 'Answers 503 with the same body while any component is not ready.',
        tags: ['health'],
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const r = readiness(deps);
      return reply.code(r.ready ? 200 : 503).send(r);
    },
  );
}
