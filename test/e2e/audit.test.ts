import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { auditSequences } from '../../gateway/ingest/audit-sequences.js';
import { silentLogger } from '../../gateway/log.js';
import { runCli } from '../support/cli.js';
import { demoLab } from '../support/e2e-fixture.js';
import { until } from '../support/until.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The tail of a run is lost: the only ingester leaves (no persistent session) while the gateway
 * keeps publishing, and the broker answers "no matching subscribers". Between the first and the
 * last stored seq nothing is missing, so an audit of storage alone says OK; `metrogate audit`
 * compares with the gateway's own last accepted seq and must exit 1, naming the loss at the tail.
 */
describe('metrogate audit cannot be fooled by a loss at the tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-audit-'));
  let sim: Simulator | undefined;
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 on readings missing after the last stored seq, and 0 once gap repair stored them', async () => {
    const { config: base, sim: s } = await demoLab(inject('mqttUrl'), inject('influxUrl'), 100);
    sim = s;
    const spool = { dir: join(dir, 'spool'), synchronous: 'normal' as const, commitIntervalMs: 0, drainTimeoutMs: 10_000, retainAckedHours: 1 };
    const gatewayConfig: MetrogateConfig = { ...base, spool, instruments: base.instruments.slice(0, 2) };
    const ingestConfig = (repair: boolean): MetrogateConfig => ({
      ...base,
      instruments: [],
      gateway: { id: 'audit-ingest', logLevel: 'silent', statsIntervalMs: 1000 },
      ingest: {
        enabled: true,
        sites: [base.site],
        sessionExpirySeconds: 0,
        maxAgeDays: 400,
        maxAheadMinutes: 60,
        repair: { enabled: repair, checkIntervalMs: 300, graceMs: 1000, retryMs: 2000, maxAttempts: 10, maxRangeReadings: 500 },
      },
    });
    const file = join(dir, 'audit.yaml');
    writeFileSync(
      file,
      stringify({
        site: base.site,
        mqtt: { url: base.mqtt.url, topicPrefix: base.mqtt.topicPrefix },
        influx: { url: base.influx!.url, database: base.influx!.database },
      }),
    );
    const start = async (c: MetrogateConfig, roles: { drivers: boolean; ingest: boolean }): Promise<Gateway> => {
      const g = buildGateway(c, silentLogger(), roles);
      await g.start();
      return g;
    };

    let ingest = await start(ingestConfig(false), { drivers: false, ingest: true });
    let gateway = await start(gatewayConfig, { drivers: true, ingest: false });
    await sleep(1500);
    await ingest.stop();
    await sleep(1500);
    await gateway.stop();

    // Storage alone looks whole: no seq missing between the first and the last stored one.
    const inside = await auditSequences(base.influx!);
    expect(inside).toHaveLength(2);
    for (const a of inside) expect(a, a.instrument).toMatchObject({ first: 1, missing: 0 });

    const lossy = await runCli(['audit', '--config', file]);
    expect(lossy.code, lossy.stdout + lossy.stderr).toBe(1);
    expect(lossy.stdout).toMatch(/MISSING: \d+ readings in all, \d+ of them at the tail/);
    const tail = Number(/(\d+) of them at the tail/.exec(lossy.stdout)![1]);
    expect(tail).toBeGreaterThan(10);

    // The gateway comes back with the retained spool; gap repair asks for the tail.
    ingest = await start(ingestConfig(true), { drivers: false, ingest: true });
    gateway = await start(gatewayConfig, { drivers: true, ingest: false });
    try {
      await sleep(500);
      await gateway.stopPolling();
      let healed = lossy;
      await until(
        async () => {
          healed = await runCli(['audit', '--config', file]);
          return healed.code === 0;
        },
        'the audit to find every reading stored after gap repair',
        60_000,
      );
      expect(healed.stdout).toMatch(/OK: 2 streams, every reading up to each gateway's last accepted seq is stored \((\d+) repaired\)/);
    } finally {
      await gateway.stop();
      await ingest.stop();
    }
  }, 120_000);
});
