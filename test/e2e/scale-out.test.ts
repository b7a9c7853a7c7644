import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { channelsFor, profileByName, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { auditSequences } from '../../gateway/ingest/audit-sequences.js';
import { startCli, untilOutput, type CliResult } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { waitFor } from '../support/until.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/**
 * Three gateway processes (two simulated balances each) → one Mosquitto → two ingest processes in
 * one MQTT 5 shared subscription group → InfluxDB. One ingester is SIGKILLed mid-stream and
 * restarted; every reading must still be stored exactly once.
 */
describe('scale out: 3 gateways, 2 ingesters on a shared subscription, one killed mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-scale-'));
  let sim: Simulator | undefined;
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every reading once, with no sequence gap, and both ingesters take a share', async () => {
    const site = uniqueName('site');
    const prefix = uniqueName('mg');
    const database = uniqueName('db');
    const influxUrl = inject('influxUrl');
    const gateways = ['gw-1', 'gw-2', 'gw-3'];
    sim = await startSimulator({
      devices: gateways.flatMap((gw) => [1, 2].map((n) => ({ id: `${gw}-bal-${n}`, profile: 'balance', static: true }))),
    });
    // Several processes on one box: no HTTP API (its default port would clash).
    const base = {
      site,
      api: { enabled: false },
      mqtt: { url: inject('mqttUrl'), topicPrefix: prefix },
      influx: { url: influxUrl, database, flushIntervalMs: 100 },
    };
    const file = (name: string, body: object) => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, stringify({ ...body, spool: { dir: join(dir, `spool-${name}`) } }));
      return path;
    };
    const ingester = (id: string) =>
      startCli([
        'run',
        '--config',
        file(id, { ...base, gateway: { id, logLevel: 'info' }, ingest: { enabled: true, group: 'ingest', sites: [site] }, instruments: [] }),
      ]);

    const ingest1 = ingester('ingest-1');
    const ingest2 = ingester('ingest-2');
    for (const i of [ingest1, ingest2]) await untilOutput(i, 'ingest subscribed', 10_000);
    const gws = gateways.map((gw) =>
      startCli([
        'run',
        '--config',
        file(gw, {
          ...base,
          gateway: { id: gw, logLevel: 'info' },
          instruments: [1, 2].map((n) => ({
            id: `${gw}-bal-${n}`,
            protocol: 'modbus-tcp',
            pollIntervalMs: 200,
            connection: { host: '127.0.0.1', port: sim!.device(`${gw}-bal-${n}`).port, unitId: 1 },
            channels: channelsFor(profileByName('balance')),
          })),
        }),
        '--no-ingest',
      ]),
    );

    // Node takes seconds to start on a busy box: time the run from when every gateway polls.
    for (const g of gws) await untilOutput(g, 'metrogate started', 20_000);
    await sleep(3000);
    ingest1.child.kill('SIGKILL');
    expect((await ingest1.done).signal).toBe('SIGKILL');
    await sleep(1500);
    const ingest1again = ingester('ingest-1');
    await sleep(3000);

    const stopped: CliResult[] = await Promise.all(gws.map(async (g) => (g.child.kill('SIGTERM'), g.done)));
    const polled = stopped.map((r) => jsonLines(r.stdout).find((l) => l.msg === 'driver totals')?.readings as number);
    polled.forEach((n, i) =>
      expect(n ?? 0, `${gateways[i]} totals:\n${stopped[i]!.stdout.slice(-3000)}\n${stopped[i]!.stderr.slice(-2000)}`).toBeGreaterThan(50),
    );
    const total = polled.reduce((a, b) => a + b, 0);

    const stored = (a: { stored: number }[]) => a.reduce((n, x) => n + x.stored, 0);
    const audit = await waitFor(
      `all ${total} polled readings stored`,
      () => auditSequences({ url: influxUrl, database, measurement: 'reading' }),
      (a) => stored(a) >= total,
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const survivors = await Promise.all([ingest2, ingest1again].map(async (i) => (i.child.kill('SIGTERM'), i.done)));

    expect(audit).toHaveLength(6);
    expect(audit.reduce((n, a) => n + a.stored, 0)).toBe(total);
    for (const a of audit) expect(a, a.instrument).toMatchObject({ site, first: 1, missing: 0, last: a.stored });

    const shares = survivors.map((r) => jsonLines(r.stdout).find((l) => l.msg === 'ingest totals') as { points: number } | undefined);
    expect(shares[0]?.points, 'ingest-2 took a share').toBeGreaterThan(0);
    expect(shares[1]?.points, 'the restarted ingest-1 took a share').toBeGreaterThan(0);
  }, 90_000);
});
