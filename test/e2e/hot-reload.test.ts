import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { MetrogateConfig } from '../../config/schema.js';
import { channelsFor, profileByName, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway } from '../../gateway/gateway.js';
import { auditSequences } from '../../gateway/ingest/audit-sequences.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import { planReload } from '../../gateway/reload-plan.js';
import { startCli, untilOutput } from '../support/cli.js';
import { demoLab } from '../support/e2e-fixture.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until } from '../support/until.js';

describe('hot reload', () => {
  const sims: Simulator[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-reload-'));
  afterAll(async () => {
    for (const s of sims) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds and removes an instrument under load; the survivors' sequence numbers run on without a gap", async () => {
    const lab = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    sims.push(lab.sim);
    const extraSim = await startSimulator({ devices: [{ id: 'extra-01', profile: 'balance', static: true }] });
    sims.push(extraSim);
    const config = lab.config;
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    const cycles = (id: string) => {
      const inst = gateway.instruments().find((i) => i.id === id);
      return inst ? Math.floor((gateway.pipeline.counters.get(id)?.polled ?? 0) / inst.channels.length) : 0;
    };
    const cyclesOfAll = () => Object.fromEntries(['bath-01', 'pressure-01', 'balance-01', 'dmm-01', 'extra-01'].map((id) => [id, cycles(id)]));
    await until(() => config.instruments.every((i) => cycles(i.id) >= 5), 'five poll cycles of every instrument', { observe: cyclesOfAll });

    const next: MetrogateConfig = {
      ...config,
      instruments: [
        ...config.instruments.filter((i) => i.id !== 'balance-01'),
        {
          id: 'extra-01',
          protocol: 'modbus-tcp',
          pollIntervalMs: 200,
          maxGap: 8,
          maxRegistersPerRead: 125,
          connection: { host: '127.0.0.1', port: extraSim.device('extra-01').port, unitId: 1, timeoutMs: 1000 },
          channels: channelsFor(profileByName('balance')),
        },
      ],
    };
    const plan = await gateway.reload(next);
    const reloadedAt = Date.now();
    expect(plan).toMatchObject({ added: ['extra-01'], removed: ['balance-01'], changed: [], needsRestart: [] });
    await until(
      () => cycles('extra-01') >= 3 && ['bath-01', 'pressure-01', 'dmm-01'].every((id) => cycles(id) >= 8),
      'three cycles of the added instrument and eight of the survivors',
      { observe: cyclesOfAll },
    );
    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + (c.delivered.mqtt ?? 0), 0);
    await untilStoredReadings(config.influx!, published);
    await gateway.stop();

    const audit = new Map((await auditSequences(config.influx!)).map((a) => [a.instrument, a]));
    for (const id of ['bath-01', 'pressure-01', 'dmm-01']) {
      expect(audit.get(id), id).toMatchObject({ first: 1, missing: 0 });
      expect(audit.get(id)!.stored, id).toBeGreaterThan(20);
    }
    expect(audit.get('extra-01')).toMatchObject({ first: 1, missing: 0 });
    expect(audit.get('extra-01')!.stored).toBeGreaterThan(5);
    // The removed balance stopped at the reload.
    const [last] = await influxClient(config.influx!).query<{ time: Date }>(`SELECT last("seq") FROM "reading" WHERE "instrument" = 'balance-01'`);
    expect(last!.time.getTime()).toBeLessThanOrEqual(reloadedAt);
  });

  it('plans a reload: changed instruments and sections that need a restart are named', async () => {
    const { config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    sims.push(sim);
    const next: MetrogateConfig = {
      ...config,
      mqtt: { ...config.mqtt, qos: 0 },
      instruments: config.instruments.map((i) => (i.id === 'dmm-01' ? { ...i, pollIntervalMs: 500 } : i)),
    };
    expect(planReload(config, next)).toEqual({
      added: [],
      removed: [],
      changed: ['dmm-01'],
      units: { stop: ['modbus-tcp dmm-01'], start: ['modbus-tcp dmm-01'] },
      needsRestart: ['mqtt'],
    });
  });

  it('metrogate run: SIGHUP with a broken file is rejected and the gateway runs on; a valid file is applied', async () => {
    const { config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    sims.push(sim);
    const file = join(dir, 'site.yaml');
    const base = { ...config, gateway: { id: 'reload-gw', logLevel: 'info' }, api: { enabled: false }, ingest: { enabled: false } };
    writeFileSync(file, stringify({ ...base, instruments: config.instruments.slice(0, 2) }));
    const gw = startCli(['run', '--config', file]);
    try {
      await untilOutput(gw, 'metrogate started', 10_000);
      writeFileSync(file, 'site: [broken\n');
      gw.child.kill('SIGHUP');
      await untilOutput(gw, 'config reload rejected', 5000);
      expect(gw.output()).toContain('config reload rejected: the running config stays');
      expect(gw.output()).toContain('YAML syntax error');
      expect(gw.child.exitCode).toBeNull();

      writeFileSync(file, stringify({ ...base, instruments: config.instruments.slice(0, 3) }));
      gw.child.kill('SIGHUP');
      await untilOutput(gw, 'config reloaded', 5000);
      const line = gw
        .output()
        .split('\n')
        .find((l) => l.includes('config reloaded'))!;
      expect(JSON.parse(line)).toMatchObject({ added: [config.instruments[2]!.id], removed: [], changed: [] });
    } finally {
      gw.child.kill('SIGTERM');
      await gw.done;
    }
  });
});
