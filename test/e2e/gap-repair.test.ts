import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';
import { auditCompleteness } from '../../gateway/ingest/audit-sequences.js';
import { buildApi } from '../../gateway/api/build-api.js';
import { apiDepsFromGateway } from '../../gateway/api/gateway-deps.js';
import type { CompletenessView } from '../../gateway/api/completeness-view.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { MqttClient } from 'mqtt';
import { demoLab, ROOT } from '../support/e2e-fixture.js';
import { recordTopics } from '../support/topic-recorder.js';
import { oneTo, restartableMosquitto, storedSeqs, type Restartable } from './faults-fixture.js';
import { until } from '../support/until.js';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validator = (name: string) => ajv.compile(JSON.parse(readFileSync(join(ROOT, 'gateway/schemas', name), 'utf8')) as object);
const validate = {
  seqs: validator('gateway-seqs.schema.json'),
  resend: validator('resend-request.schema.json'),
  resent: validator('resend-result.schema.json'),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A broker that loses what it queued: Mosquitto WITHOUT persistence restarts while two gateways
 * publish and two ingesters (one shared subscription group, persistent sessions) are away. The
 * messages queued for the group, and those the gateways replay before any ingester is back
 * (PUBACK reason 16, "no matching subscribers", counted as delivered), are gone from the broker.
 * Gap repair must still get every instrument's seqs 1..n stored exactly once, n being the last
 * seq the gateway's own spool accepted.
 */
describe('gap repair: a broker restart without persistence loses no reading', () => {
  let broker: Restartable;
  let sim: Simulator | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    broker = await restartableMosquitto({ persistence: false });
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await broker?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('asks the gateways for what the broker lost and stores every seq once, tail included', async () => {
    const { config: base, sim: s } = await demoLab(broker.url, inject('influxUrl'), 100);
    sim = s;
    // retryMs above the gateway's 5 s de-duplication window: a retry is served, not refused as a repeat.
    const ingestConfig = (id: string): MetrogateConfig => ({
      ...base,
      instruments: [],
      gateway: { id, logLevel: 'silent', statsIntervalMs: 1000 },
      ingest: {
        enabled: true,
        sites: [base.site],
        group: 'ingest',
        sessionExpirySeconds: 3600,
        maxAgeDays: 400,
        maxAheadMinutes: 60,
        repair: { enabled: true, checkIntervalMs: 300, graceMs: 2000, retryMs: 6000, maxAttempts: 10, maxRangeReadings: 200 },
      },
    });
    const gatewayConfig = (id: string, instruments: MetrogateConfig['instruments']): MetrogateConfig => {
      const dir = mkdtempSync(join(tmpdir(), `metrogate-repair-${id}-`));
      dirs.push(dir);
      return {
        ...base,
        instruments,
        gateway: { id, logLevel: 'silent', statsIntervalMs: 1000 },
        spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs: 30_000, retainAckedHours: 1 },
      };
    };
    const startIngester = async (id: string): Promise<Gateway> => {
      const g = buildGateway(ingestConfig(id), silentLogger(), { drivers: false, ingest: true });
      await g.start();
      return g;
    };
    // What a user watching `<prefix>/#` sees, through the broker's restart (the client resubscribes).
    const seen = new Map<string, unknown[]>();
    const watcher: MqttClient = await recordTopics(broker.url, `${base.mqtt.topicPrefix}/#`, seen);
    const gwConfigs = [gatewayConfig('gw-a', base.instruments.slice(0, 2)), gatewayConfig('gw-b', base.instruments.slice(2))];
    let ingesters = [await startIngester('ingest-1'), await startIngester('ingest-2')];
    const gateways = gwConfigs.map((c) => buildGateway(c, silentLogger(), { drivers: true, ingest: false }));
    await Promise.all(gateways.map((g) => g.start()));
    try {
      await sleep(1500);
      // The ingesters go away (a deploy); their sessions stay and the broker queues for them.
      await Promise.all(ingesters.map((i) => i.stop()));
      await sleep(1500);
      // The broker restarts without persistence: sessions, queues and retained messages are gone.
      await broker.stop();
      await sleep(500);
      await broker.start();
      // The gateways are back first and publish into a broker with no subscriber.
      const delivered = () => gateways.reduce((n, g) => n + [...g.pipeline.counters.values()].reduce((m, c) => m + (c.delivered.mqtt ?? 0), 0), 0);
      const before = delivered();
      await until(() => delivered() > before + 20, 'the gateways to publish into the restarted broker', 30_000);
      ingesters = [await startIngester('ingest-1'), await startIngester('ingest-2')];
      await sleep(2000);
      await Promise.all(gateways.map((g) => g.stopPolling()));
      const last = new Map(gateways.flatMap((g) => Object.entries(g.pipeline.acceptedSeqs())));
      expect(last.size).toBe(base.instruments.length);
      await until(
        async () => {
          for (const [id, n] of last) if ((await storedSeqs(inject('influxUrl'), base.influx!.database, id)).length < n) return false;
          return true;
        },
        'gap repair to store every reading the gateways accepted',
        90_000,
      );
      // The fault happened: readings were missing and were asked for, and the gateways re-sent them.
      const repairs = ingesters.map((i) => i.ingest!.repairs()!);
      expect(repairs.reduce((n, r) => n + r.requestedReadings, 0)).toBeGreaterThan(0);
      expect(gateways.reduce((n, g) => n + g.resends!.resentReadings, 0)).toBeGreaterThan(0);
      // The audit finds nothing open, and counts the repaired readings once whoever asked.
      const audit = await auditCompleteness(base.influx!, new Map());
      expect(audit.map((a) => [a.instrument, a.open, a.gatewayLast]).sort(([a], [b]) => String(a).localeCompare(String(b)))).toEqual(
        [...last].sort(([a], [b]) => a.localeCompare(b)).map(([id, n]) => [id, 0, n]),
      );
      const auditRepaired = audit.reduce((n, a) => n + a.repaired, 0);
      expect(auditRepaired).toBeGreaterThan(0);
      expect(auditRepaired).toBeLessThanOrEqual(repairs.reduce((n, r) => n + r.requestedReadings, 0));
      // As an operator sees it: the API and /metrics of an ingester and of a gateway.
      await until(() => ingesters.some((i) => i.ingest!.repairs()!.repairedReadings > 0), 'an ingester to count a repair', 30_000);
      const repairing = ingesters.find((i) => i.ingest!.repairs()!.repairedReadings > 0)!;
      const ingestApi = buildApi(apiDepsFromGateway(repairing, ingestConfig(repairing.id), { phase: () => 'running' }), undefined, silentLogger());
      const view = (await ingestApi.inject({ method: 'GET', url: '/api/completeness' })).json<CompletenessView>();
      expect(view.ingest!.repairedReadings).toBeGreaterThan(0);
      expect(view.ingest!.streams).toBe(base.instruments.length);
      const ingestMetrics = parsePrometheusText((await ingestApi.inject({ method: 'GET', url: '/metrics' })).body);
      expect(sampleValue(ingestMetrics, 'metrogate_ingest_gap_readings_repaired_total')).toBe(view.ingest!.repairedReadings);
      await ingestApi.close();
      const serving = gateways.find((g) => g.resends!.resentReadings > 0)!;
      const gwApi = buildApi(apiDepsFromGateway(serving, gwConfigs[gateways.indexOf(serving)]!, { phase: () => 'running' }), undefined, silentLogger());
      const gwView = (await gwApi.inject({ method: 'GET', url: '/api/completeness' })).json<CompletenessView>();
      expect(gwView.gateway!.resends.resentReadings).toBe(serving.resends!.resentReadings);
      expect(gwView.gateway!.retention!.readings).toBeGreaterThan(0);
      expect(gwView.gateway!.epoch).toMatch(/^[0-9a-f]{16}$/);
      const gwMetrics = parsePrometheusText((await gwApi.inject({ method: 'GET', url: '/metrics' })).body);
      expect(sampleValue(gwMetrics, 'metrogate_resent_readings_total')).toBe(serving.resends!.resentReadings);
      await gwApi.close();
      // The messages of gap repair follow their published schemas; data carries each spool's epoch.
      const byKind = (suffix: string) => [...seen].filter(([t]) => t.endsWith(suffix)).flatMap(([, list]) => list);
      for (const [kind, check] of Object.entries(validate)) {
        const docs = byKind(kind === 'seqs' ? '/seqs' : `/control/${kind}`);
        expect(docs.length, kind).toBeGreaterThan(0);
        for (const d of docs) expect(check(d) ? null : check.errors, kind).toBeNull();
      }
      for (const g of gateways) {
        const epochs = new Set(
          [...seen].filter(([t]) => t.includes(`/${g.id}/`) && t.endsWith('/data')).flatMap(([, l]) => l.map((d) => (d as { epoch?: string }).epoch)),
        );
        expect([...epochs], g.id).toEqual([g.pipeline.epoch]);
      }
      await Promise.all(gateways.map((g) => g.stop()));
      for (const [i, c] of gwConfigs.entries()) {
        // The source of truth is the gateway's own spool, read after it stopped.
        const spool = new SqliteSpool({ dir: join(c.spool!.dir, c.site), consumers: ['mqtt'] });
        try {
          for (const inst of c.instruments) {
            const n = spool.lastSeq(inst.id);
            expect(n, inst.id).toBe(last.get(inst.id));
            expect(n, inst.id).toBeGreaterThan(50);
            expect(await storedSeqs(inject('influxUrl'), base.influx!.database, inst.id), `${gateways[i]!.id}/${inst.id}`).toEqual(oneTo(n));
          }
        } finally {
          spool.close();
        }
      }
    } finally {
      await Promise.all([...ingesters, ...gateways].map((g) => g.stop().catch(() => undefined)));
      await watcher.endAsync();
    }
  }, 150_000);
});
