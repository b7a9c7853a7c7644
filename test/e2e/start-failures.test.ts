/**
 * A start that fails leaves nothing behind (issue 16): the CLI stops what it had started, prints
 * one line saying why and exits non-zero, and the process is gone. Run as a user runs it, against
 * the suite's real Mosquitto and InfluxDB.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { exitsWithin, isAlive, startCli, untilOutput } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway with one instrument nobody answers for (its polls fail; the gateway runs). */
function configFile(name: string, over: Record<string, unknown>): string {
  const config = {
    site: uniqueName('site'),
    gateway: { id: 'gw-1', logLevel: 'info' },
    mqtt: { url: inject('mqttUrl'), topicPrefix: uniqueName('mg') },
    influx: { url: inject('influxUrl'), database: uniqueName('db') },
    api: { port: 0 },
    spool: { dir: join(dir, `${name}-spool`), drainTimeoutMs: 1000 },
    calibration: { recordsDir: join(dir, `${name}-records`), reportsDir: join(dir, `${name}-reports`) },
    instruments: [
      {
        id: 'oven',
        protocol: 'modbus-tcp',
        pollIntervalMs: 1000,
        connection: { host: '127.0.0.1', port: 1, timeoutMs: 200 },
        channels: [{ id: 't', address: 0, type: 'int16', quantity: 'temperature' }],
      },
    ],
    ...over,
  };
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

describe('a failed start leaves no process behind', () => {
  it('a spool dir that is a file: the ingest it had connected is stopped, one line, exit 1', async () => {
    const notADir = join(dir, 'spool-file');
    writeFileSync(notADir, 'not a directory');
    // The ingest role starts first and holds an MQTT connection: that kept the process alive.
    const path = configFile('file-spool', { spool: { dir: notADir }, ingest: { enabled: true } });
    const gw = startCli(['run', '--config', path]);
    const res = await exitsWithin(gw, 20_000);
    expect(res.code, gw.output()).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      `metrogate: cannot start: cannot create the spool directory ${notADir}/${readSite(path)}: ${notADir} is a file, not a directory`,
    ]);
    expect(res.stdout).toContain('ingest subscribed');
    expect(isAlive(gw.child.pid!)).toBe(false);
  });

  it('a second gateway on the same spool is refused with a line naming the holder; the first runs on', async () => {
    const path = configFile('shared', {});
    const first = startCli(['run', '--config', path]);
    await untilOutput(first, 'metrogate started');
    const second = startCli(['run', '--config', path]);
    const res = await exitsWithin(second, 20_000);
    expect(res.code, second.output()).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^metrogate: cannot start: the spool .*spool\\.sqlite is in use by pid ${first.child.pid} on \\S+ since \\S+ \\(.*main\\.js run --config ${path}\\): one gateway per spool directory$`,
      ),
    );
    expect(isAlive(second.child.pid!)).toBe(false);
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect((await exitsWithin(first, 20_000)).code).toBe(0);
  });

  it('SIGTERM while the start waits for a broker that never answers stops it at once', async () => {
    // Accepts TCP and never sends a CONNACK: the ingest's start waits on it.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const path = configFile('silent', { mqtt: { url: `mqtt://127.0.0.1:${port}` }, ingest: { enabled: true } });
      const gw = startCli(['run', '--config', path]);
      await untilOutput(gw, 'api listening');
      gw.child.kill('SIGTERM');
      const res = await exitsWithin(gw, 15_000);
      expect(res.code, gw.output()).toBe(0);
      expect(res.stdout).toContain('"signal":"SIGTERM"');
      expect(isAlive(gw.child.pid!)).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('an API port in use: one line, exit 1, nothing started', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const gw = startCli(['run', '--config', configFile('port', { api: { port } })]);
      const res = await exitsWithin(gw, 15_000);
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toEqual([
        `metrogate: cannot start: api: cannot listen on 127.0.0.1:${port} (api.host, api.port): the port is in use`,
      ]);
      expect(res.stdout).not.toContain('metrogate started');
    } finally {
      taken.close();
    }
  });
});

describe('files are not for every local user', () => {
  it('the spool folder is 0700 and its files 0600, whatever the umask', async () => {
    const path = configFile('modes', {});
    // A umask of 0 would leave everything world-writable if the modes came from it.
    const gw = startCli(['run', '--config', path], {}, { umask: 0 });
    await untilOutput(gw, 'metrogate started');
    gw.child.kill('SIGTERM');
    expect((await exitsWithin(gw, 20_000)).code).toBe(0);
    const spool = join(dir, 'modes-spool', readSite(path));
    expect(statSync(spool).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'modes-spool')).mode & 0o777).toBe(0o700);
    for (const f of ['spool.sqlite', 'spool.holder']) expect(statSync(join(spool, f)).mode & 0o777, f).toBe(0o600);
  });
});

function readSite(path: string): string {
  const match = /^site: (\S+)$/m.exec(readFileSync(path, 'utf8'));
  if (!match) throw new Error(`no site in ${path}`);
  return match[1]!;
}
