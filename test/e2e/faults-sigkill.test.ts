import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';
import { startNode, type Child } from '../bench/children.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { demoLab } from '../support/e2e-fixture.js';
import { oneTo, restartableInfluxDB, restartableMosquitto, storedSeqs } from './faults-fixture.js';
import { until } from '../support/until.js';

/**
 * Fault 3: the gateway process is killed with SIGKILL twice (once while the broker is down, once
 * in the middle of replaying its spool) and started again. The built CLI runs as a child, as in
 * production; the ingest role runs in a process of its own.
 */
describe('faults: the gateway is SIGKILLed during replay and restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-kill-'));
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('3. nothing lost, nothing duplicated in InfluxDB; seq continues across the restarts', async () => {
    assertBuilt();
    const [broker, influx] = await Promise.all([restartableMosquitto(), restartableInfluxDB()]);
    const { config, sim } = await demoLab(broker.url, influx.url, 20);
    const spoolDir = join(dir, 'spool');
    const base = { ...config, api: { enabled: false } };
    const gwFile = join(dir, 'gateway.yaml');
    // One publish in flight at a time: the replay takes long enough to be interrupted.
    writeFileSync(
      gwFile,
      stringify({
        ...base,
        gateway: { id: 'kill-gw', logLevel: 'info' },
        mqtt: { ...config.mqtt, maxInFlight: 1 },
        ingest: { enabled: false },
        spool: { dir: spoolDir },
      }),
    );
    const inFile = join(dir, 'ingest.yaml');
    writeFileSync(inFile, stringify({ ...base, gateway: { id: 'kill-ingest', logLevel: 'info' }, ingest: { enabled: true }, instruments: [] }));
    const start = (file: string, args: string[] = []): Child => {
      const c = startNode(CLI, ['run', '--config', file, ...args]);
      children.push(c);
      return c;
    };
    try {
      const ingest = start(inFile, ['--no-drivers']);
      await ingest.waitFor((l) => l.msg === 'ingest subscribed');

      // Run 1: the broker is down; the readings go to the spool only. Then kill -9.
      await broker.stop();
      const first = start(gwFile);
      await first.waitFor((l) => l.msg === 'metrogate started');
      await new Promise((r) => setTimeout(r, 3000));
      first.proc.kill('SIGKILL');
      await first.stop();

      // Run 2: the broker is back; kill -9 again as soon as the replay is under way.
      await broker.start();
      const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
      let seen = 0;
      watcher.on('message', (topic) => {
        if (topic.endsWith('/data')) seen++;
      });
      await watcher.subscribeAsync(`${config.mqtt.topicPrefix}/#`, { qos: 0 });
      const second = start(gwFile);
      const opened2 = await second.waitFor((l) => l.msg === 'spool opened');
      await until(() => seen >= 20, 'the replay to start', 30_000);
      second.proc.kill('SIGKILL');
      await second.stop();
      await watcher.endAsync();

      // Run 3: what the killed replay left is still there; this run sends it and stops cleanly.
      const third = start(gwFile);
      const opened3 = await third.waitFor((l) => l.msg === 'spool opened');
      await third.waitFor((l) => l.msg === 'spool replay caught up');
      await new Promise((r) => setTimeout(r, 1000));
      expect(await third.stop('SIGTERM')).toBe(0);

      const waiting = (line: Record<string, unknown>) =>
        ((line.waiting as { sink: string; readings: number }[]) ?? []).find((w) => w.sink === 'mqtt')?.readings ?? 0;
      expect(waiting(opened2), 'the backlog of run 1').toBeGreaterThan(500);
      expect(waiting(opened3), 'left by the replay killed in run 2').toBeGreaterThan(0);

      // The spool's own record: the highest seq produced per instrument, and nothing left to send.
      const spool = new SqliteSpool({ dir: join(spoolDir, config.site), consumers: ['mqtt'] });
      const produced = new Map(config.instruments.map((i) => [i.id, spool.lastSeq(i.id)]));
      expect(spool.position('mqtt').depth).toBe(0);
      spool.close();

      for (const [id, n] of produced) {
        expect(n, id).toBeGreaterThan(50);
        await until(async () => (await storedSeqs(influx.url, config.influx!.database, id)).length >= n, `${id}: ${n} readings in InfluxDB`, 30_000);
        expect(await storedSeqs(influx.url, config.influx!.database, id), id).toEqual(oneTo(n));
      }
      await ingest.stop('SIGTERM');
    } finally {
      await sim.stop();
      await Promise.all([broker.dispose(), influx.dispose()]);
    }
  }, 150_000);
});
