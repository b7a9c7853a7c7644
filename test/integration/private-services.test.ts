import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDaemon, type PrivateService } from '../../tools/private-services/daemon.js';
import { ensureInstalled, type RunCommand } from '../../tools/private-services/ensure-installed.js';
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { makeDataDir, sweepOrphans, writeOwner } from '../../tools/private-services/orphan-sweep.js';
import { listensOn } from '../../tools/private-services/socket-owner.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('private Mosquitto and InfluxDB beside the suite-wide ones', () => {
  let mosquitto: PrivateService;
  let influx: PrivateService;

  beforeAll(async () => {
    [mosquitto, influx] = await Promise.all([startMosquitto(), startInfluxDB()]);
  });
  afterAll(async () => {
    await Promise.allSettled([mosquitto?.stop(), influx?.stop()]);
  });

  it('runs on its own loopback ports, distinct from the global instances', () => {
    const ports = [mosquitto.port, influx.port, Number(new URL(inject('mqttUrl')).port), Number(new URL(inject('influxUrl')).port)];
    expect(new Set(ports).size).toBe(4);
    expect(ports).not.toContain(1883);
    expect(ports).not.toContain(8086);
    expect(mosquitto.url).toBe(`mqtt://127.0.0.1:${mosquitto.port}`);
    expect(influx.url).toBe(`http://127.0.0.1:${influx.port}`);
  });

  it('moves influxd off its default RPC port 8088', async () => {
    expect(await listensOn(influx.pid, influx.port)).toBe(true);
    expect(await listensOn(influx.pid, 8088)).toBe(false);
    expect(readFileSync(join(influx.dataDir, 'influxdb.conf'), 'utf8')).toMatch(/^bind-address = "127\.0\.0\.1:\d+"$/m);
  });

  it('carries an MQTT message from publisher to subscriber', async () => {
    const sub = await connectAsync(mosquitto.url, { clientId: 'private-services-sub' });
    const pub = await connectAsync(mosquitto.url, { clientId: 'private-services-pub' });
    try {
      const received = new Promise<string>((resolve) => sub.once('message', (_topic, payload) => resolve(payload.toString())));
      await sub.subscribeAsync('metrogate/test/+/data', { qos: 1 });
      await pub.publishAsync('metrogate/test/dmm-1/data', '{"value":1.5}', { qos: 1 });
      expect(await received).toBe('{"value":1.5}');
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('writes and queries a point through InfluxDB', async () => {
    const db = new InfluxDB({ host: '127.0.0.1', port: influx.port, database: 'metrogate_test' });
    await db.createDatabase('metrogate_test');
    const ts = new Date('2024-05-01T12:00:00Z');
    await db.writePoints([{ measurement: 'reading', tags: { instrument: 'dmm-1' }, fields: { value: 1.5 }, timestamp: ts }]);
    const rows = await db.query<{ value: number; instrument: string }>('SELECT value, instrument FROM reading');
    expect(rows.map((r) => ({ value: r.value, instrument: r.instrument }))).toEqual([{ value: 1.5, instrument: 'dmm-1' }]);
  });

  it('stop() ends the process and removes its data directory', async () => {
    const extra = await startMosquitto();
    const db = await startInfluxDB();
    for (const s of [extra, db]) {
      expect(isRunning(s.pid)).toBe(true);
      await s.stop();
      expect(isRunning(s.pid)).toBe(false);
      expect(existsSync(s.dataDir)).toBe(false);
      await s.stop(); // idempotent
    }
  });
});

describe('start-up failures name the cause', () => {
  it('includes the daemon log tail when it exits early', async () => {
    await expect(startMosquitto({ extraConfig: ['no_such_option true'] })).rejects.toThrow(
      /exited during start-up[\s\S]*Unknown configuration variable "no_such_option"/,
    );
  });

  it('reports a binary that exits at once', async () => {
    await expect(startInfluxDB({ binary: '/bin/false' })).rejects.toThrow(/influxd \(\/bin\/false\) exited during start-up \(exit code 1\)/);
  });
});

describe('daemon lifecycle', () => {
  it('stop() escalates to SIGKILL when the daemon ignores SIGTERM', async () => {
    const port = await freePort();
    const dataDir = await makeDataDir('stubborn');
    const script = `process.on('SIGTERM', () => {}); require('net').createServer().listen(${port}, '127.0.0.1')`;
    const daemon = await startDaemon({
      name: 'stubborn',
      binary: process.execPath,
      args: ['-e', script],
      dataDir,
      port,
      isReady: async () => true,
      startTimeoutMs: 10_000,
      stopTimeoutMs: 200,
    });
    const t0 = Date.now();
    await daemon.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(isRunning(daemon.pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('sweepOrphans kills a daemon whose owner died (kill -9) and spares unrelated processes', async () => {
    const deadOwner = spawn(process.execPath, ['-e', '']);
    await once(deadOwner, 'exit');
    const dataDir = await makeDataDir('orphan');
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', dataDir]);
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const bystanderDir = await makeDataDir('orphan');
    try {
      await writeFile(join(dataDir, 'owner.json'), JSON.stringify({ ownerPid: deadOwner.pid, pid: orphan.pid }));
      // A recycled pid: the owner is gone, the pid runs, but its command line is not ours.
      await writeFile(join(bystanderDir, 'owner.json'), JSON.stringify({ ownerPid: deadOwner.pid, pid: bystander.pid }));
      const orphanExit = once(orphan, 'exit');
      const removed = await sweepOrphans();
      expect(removed).toEqual(expect.arrayContaining([dataDir, bystanderDir]));
      expect(await orphanExit).toEqual([null, 'SIGKILL']);
      expect(bystander.exitCode).toBeNull();
      expect(isRunning(bystander.pid ?? -1)).toBe(true);
    } finally {
      orphan.kill('SIGKILL');
      bystander.kill('SIGKILL');
    }
  });

  it('keep() leaves a daemon running after the process that started it exits, and no sweep removes it (demo --keep)', async () => {
    // A separate process, as `npm run demo -- --keep` is: its exit hook is what used to kill the daemon.
    const script = `import { startMosquitto } from ${JSON.stringify(join(import.meta.dirname, '../../dist/tools/private-services/mosquitto.js'))};
      const m = await startMosquitto(); await m.keep();
      console.log(JSON.stringify({ pid: m.pid, url: m.url, dataDir: m.dataDir }));`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    owner.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    expect((await once(owner, 'exit'))[0]).toBe(0);
    const kept = JSON.parse(out) as { pid: number; url: string; dataDir: string };
    try {
      expect(isRunning(kept.pid)).toBe(true);
      expect(await sweepOrphans()).not.toContain(kept.dataDir);
      expect(isRunning(kept.pid)).toBe(true);
      const client = await connectAsync(kept.url, { connectTimeout: 5000, reconnectPeriod: 0 });
      await client.endAsync();
    } finally {
      process.kill(kept.pid, 'SIGKILL');
      await rm(kept.dataDir, { recursive: true, force: true });
    }
  });

  it('writeOwner records this process as the owner', async () => {
    const dataDir = await makeDataDir('owner');
    await writeOwner(dataDir, 12345);
    expect(JSON.parse(readFileSync(join(dataDir, 'owner.json'), 'utf8'))).toEqual({ ownerPid: process.pid, pid: 12345 });
    await rm(dataDir, { recursive: true });
  });
});

describe('ensureInstalled', () => {
  const debian = () => 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
  const fakeFs = (present: Set<string>) => (name: string) => (present.has(name) ? `/usr/bin/${name}` : undefined);

  it('finds the installed programs without running apt', async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (cmd, args) => void calls.push([cmd, ...args]);
    const found = await ensureInstalled(['mosquitto', 'influxd'], { findBinary: fakeFs(new Set(['mosquitto', 'influxd'])), run, osRelease: debian });
    expect(found).toEqual({ mosquitto: '/usr/bin/mosquitto', influxd: '/usr/bin/influxd' });
    expect(calls).toEqual([]);
  });

  it('tells a non-root user the exact apt-get command', async () => {
    const run: RunCommand = async () => {
      throw new Error('must not run apt');
    };
    await expect(
      ensureInstalled(['mosquitto', 'influxd'], { findBinary: fakeFs(new Set(['mosquitto'])), run, isRoot: () => false, osRelease: debian }),
    ).rejects.toThrow(/influxd \(Debian package influxdb\)[\s\S]*sudo apt-get update && sudo apt-get install -y influxdb$/);
  });

  it('as root on Debian installs every missing package in one apt-get run', async () => {
    const present = new Set<string>();
    const calls: { argv: string[]; env: Record<string, string> }[] = [];
    const run: RunCommand = async (cmd, args, env) => {
      calls.push({ argv: [cmd, ...args], env });
      if (args[0] === 'install') for (const name of ['mosquitto', 'influxd', 'socat']) present.add(name);
    };
    const found = await ensureInstalled(['mosquitto', 'influxd', 'socat'], { findBinary: fakeFs(present), run, isRoot: () => true, osRelease: debian });
    expect(calls).toEqual([
      { argv: ['apt-get', 'update'], env: {} },
      { argv: ['apt-get', 'install', '-y', 'mosquitto', 'influxdb', 'socat'], env: { DEBIAN_FRONTEND: 'noninteractive' } },
    ]);
    expect(found.influxd).toBe('/usr/bin/influxd');
  });

  it('fails when apt-get ran but the program is still missing', async () => {
    const run: RunCommand = async () => undefined;
    await expect(ensureInstalled(['chromium'], { findBinary: fakeFs(new Set()), run, isRoot: () => true, osRelease: debian })).rejects.toThrow(
      /apt-get install -y chromium finished, but chromium still not found/,
    );
  });

  it('on other systems says what to install and does not try apt', async () => {
    const run: RunCommand = async () => {
      throw new Error('must not run apt');
    };
    const fedora = () => 'ID=fedora\nID_LIKE="rhel centos"\n';
    await expect(ensureInstalled(['mosquitto'], { findBinary: fakeFs(new Set()), run, isRoot: () => true, osRelease: fedora })).rejects.toThrow(
      /Missing mosquitto \(Debian package mosquitto\)\. This is not Debian or Ubuntu/,
    );
  });

  it('recognises Ubuntu and its derivatives by ID_LIKE', async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (cmd, args) => void calls.push([cmd, ...args]);
    const mint = () => 'ID=linuxmint\nID_LIKE="ubuntu debian"\n';
    await ensureInstalled(['socat'], { findBinary: fakeFs(new Set()), run, isRoot: () => true, osRelease: mint }).catch(() => undefined);
    expect(calls[1]).toEqual(['apt-get', 'install', '-y', 'socat']);
  });
});
