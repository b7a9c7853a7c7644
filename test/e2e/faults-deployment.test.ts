import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { channelsFor, profileByName, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';
import { startNode, type Child } from '../bench/children.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { oneTo, restartableInfluxDB, restartableMosquitto, storedSeqs } from './faults-fixture.js';
import { until } from '../support/until.js';

/** How long InfluxDB and the broker stay down (the 15 s each). */
const OUTAGE_MS = 15_000;
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'];
const INSTRUMENTS_PER_GATEWAY = 2;

type Line = Record<string, unknown>;

/** The next log line matching `msg` after this moment (earlier ones do not count). */
function next(child: Child, msg: string, timeoutMs = 30_000): Promise<Line> {
  const from = child.logs.length;
  return child.waitFor((l) => l.msg === msg && child.logs.indexOf(l) >= from, timeoutMs);
}

/**
 * The deployment as it runs: three gateway processes polling Modbus devices, two ingest processes
 * on one MQTT 5 shared subscription with persistent sessions, Mosquitto with persistence,
 * InfluxDB. Five faults in one run: a gateway SIGKILLed and restarted (twice, two gateways), an
 * ingester SIGKILLed and restarted, InfluxDB stopped for 15 s, the broker stopped for 15 s. Then
 * every instrument's seqs must be stored exactly once, from 1 to the last seq its gateway
 * accepted (read from the gateway's own spool), with nothing left in any spool.
 */
describe('faults: a scale-out deployment through five faults in one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-deploy-'));
  const children: Child[] = [];
  let sim: Simulator | undefined;
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every accepted reading exactly once', async () => {
    assertBuilt();
    const [broker, influx] = await Promise.all([restartableMosquitto(), restartableInfluxDB()]);
    const site = uniqueName('site');
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const instrumentsOf = (gw: string) => Array.from({ length: INSTRUMENTS_PER_GATEWAY }, (_, n) => `${gw}-bal-${n + 1}`);
    sim = await startSimulator({ devices: GATEWAYS.flatMap(instrumentsOf).map((id) => ({ id, profile: 'balance', static: true })) });
    const base = {
      site,
      api: { enabled: false },
      mqtt: { url: broker.url, topicPrefix: prefix },
      influx: { url: influx.url, database, flushIntervalMs: 100 },
    };
    const config = (name: string, body: object) => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, stringify({ ...base, ...body, spool: { dir: join(dir, `spool-${name}`) } }));
      return path;
    };
    const start = (file: string, args: string[]) => {
      const c = startNode(CLI, ['run', '--config', file, ...args]);
      children.push(c);
      return c;
    };
    const ingestFile = (id: string) =>
      config(id, { gateway: { id, logLevel: 'info' }, ingest: { enabled: true, group: 'ingest', sites: [site] }, instruments: [] });
    const gatewayFile = (gw: string) =>
      config(gw, {
        gateway: { id: gw, logLevel: 'info', statsIntervalMs: 1000 },
        instruments: instrumentsOf(gw).map((id) => ({
          id,
          protocol: 'modbus-tcp',
          pollIntervalMs: 200,
          connection: { host: '127.0.0.1', port: sim!.device(id).port, unitId: 1 },
          channels: channelsFor(profileByName('balance')),
        })),
      });
    const startIngest = async (id: string) => {
      const c = start(ingestFile(id), ['--no-drivers']);
      await c.waitFor((l) => l.msg === 'ingest subscribed');
      return c;
    };
    const startGateway = async (gw: string) => {
      const c = start(gatewayFile(gw), ['--no-ingest']);
      await c.waitFor((l) => l.msg === 'metrogate started');
      return c;
    };
    const kill = async (c: Child) => {
      c.proc.kill('SIGKILL');
      await c.stop();
      expect(c.proc.signalCode).toBe('SIGKILL');
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    try {
      const ingesters = await Promise.all(['ingest-1', 'ingest-2'].map(startIngest));
      const gws = new Map(await Promise.all(GATEWAYS.map(async (gw) => [gw, await startGateway(gw)] as const)));
      await sleep(2000);

      // Fault 1: a gateway is SIGKILLed and restarted.
      await kill(gws.get('gw-1')!);
      gws.set('gw-1', await startGateway('gw-1'));
      await sleep(2000);

      // Fault 2: an ingester is SIGKILLed and restarted; its session keeps what it had not acknowledged.
      await kill(ingesters[0]!);
      ingesters[0] = await startIngest('ingest-1');
      await sleep(2000);

      // Fault 3: InfluxDB is down for 15 s; the ingesters hold their PUBACKs and retry.
      await influx.stop();
      await sleep(OUTAGE_MS);
      await influx.start();
      await sleep(2000);

      // Fault 4: the broker is down for 15 s (it saves sessions and queues on SIGTERM).
      const reconnected = [...gws.values()].map((g) => next(g, 'mqtt connected', OUTAGE_MS + 30_000));
      await broker.stop();
      await sleep(OUTAGE_MS);
      await broker.start();
      await Promise.all(reconnected);

      // Fault 5: another gateway is SIGKILLed while it replays what waited during the outage.
      await kill(gws.get('gw-2')!);
      gws.set('gw-2', await startGateway('gw-2'));
      await sleep(3000);

      // A clean stop: each gateway waits until its spool is delivered (drainTimeoutMs).
      await Promise.all([...gws.values()].map((g) => g.stop('SIGTERM')));
      const expected = new Map<string, number>();
      for (const gw of GATEWAYS) {
        const spool = new SqliteSpool({ dir: join(dir, `spool-${gw}`, site), consumers: ['mqtt'] });
        try {
          expect(spool.position('mqtt').depth, `${gw}: readings left undelivered in its spool`).toBe(0);
          for (const id of instrumentsOf(gw)) expected.set(id, spool.lastSeq(id));
        } finally {
          spool.close();
        }
      }

      const missing = async () => {
        const out: string[] = [];
        for (const [id, last] of expected) {
          const seqs = await storedSeqs(influx.url, database, id);
          const have = new Set(seqs);
          const lost = oneTo(last).filter((s) => !have.has(s)).length;
          if (lost > 0 || seqs.length !== last) out.push(`${id}: ${seqs.length} stored of ${last}, ${lost} missing`);
        }
        return out;
      };
      await until(async () => (await missing()).length === 0, 'every accepted reading in InfluxDB', 30_000).catch(async (err: Error) => {
        throw new Error(`${err.message}:\n${(await missing()).join('\n')}`);
      });
      for (const [id, last] of expected) {
        expect(last, `${id} produced readings across the run`).toBeGreaterThan(100);
        expect(await storedSeqs(influx.url, database, id), id).toEqual(oneTo(last));
      }

      // The faults did what they are meant to: the broker restart took the shared subscription
      // away (the gateways were told nobody subscribed, and kept those readings), InfluxDB's
      // outage made the ingesters retry, and both ingesters took a share afterwards.
      const all = children.flatMap((c) => c.logs);
      expect(
        all.some((l) => l.msg === 'InfluxDB write failed; retrying'),
        'InfluxDB outage seen by an ingester',
      ).toBe(true);
      const refused = all.filter((l) => l.msg === 'sink did not take readings; they wait in the spool' && /reason 16/.test(String(l.err))).length;
      const lostShares = all.filter((l) => typeof l.msg === 'string' && l.msg.includes('WITHOUT their $share subscriptions')).length;
      const readings = [...expected.values()].reduce((a, b) => a + b, 0);
      console.info(
        `deployment faults: ${readings} readings from ${expected.size} instruments stored once each; ` +
          `${refused} gateway episodes of PUBACK reason 16 kept in the spool; ${lostShares} ingester reports of $share subscriptions lost by the broker restart`,
      );
      const totals = await Promise.all(ingesters.map(async (i) => (await i.stop('SIGTERM'), i.logs.find((l) => l.msg === 'ingest totals'))));
      for (const t of totals) expect(Number(t?.points), 'each ingester stored points').toBeGreaterThan(0);
    } finally {
      await Promise.all([broker.dispose(), influx.dispose()]);
    }
  }, 240_000);
});
