import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load-config.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import { silentLogger } from '../../gateway/log.js';
import { DEMO, runCli, startCli } from '../support/cli.js';
import { demoLab, ROOT } from '../support/e2e-fixture.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BROKEN = `site: lab
mqtt: { url: mqtt://127.0.0.1:1883, qos: 3 }
instruments:
  - id: bath
    protocol: modbus-tcp
    connection: { host: 127.0.0.1, port: 70000 }
    channels:
      - { id: t, address: 0, type: float32, quantity: temperature }
      - { id: p, address: 2, type: flaot32, quantity: temperature }
`;

describe('metrogate CLI', () => {
  it('validate accepts the demo config and says what it holds', async () => {
    const res = await runCli(['validate', '--config', join(ROOT, 'config/examples/demo.yaml')]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/demo\.yaml: valid \(5 instruments, \d+ channels\)/);
  });

  it('validate and run reject a broken config with exit 2, one line per problem with file and path, starting nothing', async () => {
    const path = file('broken.yaml', BROKEN);
    for (const command of ['validate', 'run']) {
      const res = await runCli([command, '--config', path]);
      expect(res.code, command).toBe(2);
      const lines = res.stderr.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(res.stderr).toContain(`${path}: mqtt.qos: expected one of 0, 1 or 2, got 3 (line 2)`);
      expect(res.stderr).toContain(`${path}: instruments[0].connection.port: expected ≤ 65535, got 70000 (line 6)`);
      expect(res.stderr).toMatch(
        new RegExp(`${path}: instruments\\[0\\]\\.channels\\[1\\]\\.type: expected one of bool, .* or string\\(n\\), got "flaot32" \\(line 9\\)`),
      );
      expect(res.stdout).not.toContain('metrogate started');
    }
  });

  it('names a missing config file and an unknown command', async () => {
    const missing = await runCli(['run', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: cannot read the config file: no such file');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('a gateway killed with SIGKILL is announced offline by its retained last will', async () => {
    const { config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    try {
      const path = file(
        'lwt.yaml',
        stringify({
          ...config,
          gateway: { id: 'lwt-gw', logLevel: 'info' },
          ingest: { enabled: false },
          api: { enabled: false },
          spool: { dir: join(dir, 'lwt-spool') },
        }),
      );
      const gw = startCli(['run', '--config', path]);
      const watcher = await connectAsync(config.mqtt.url, { protocolVersion: 5 });
      const states: string[] = [];
      watcher.on('message', (_t, p) => states.push((JSON.parse(p.toString()) as { state: string }).state));
      await watcher.subscribeAsync(`${config.mqtt.topicPrefix}/${config.site}/lwt-gw/state`, { qos: 1 });
      await until(() => states.includes('online'), 'the retained online state', { observe: () => states });
      gw.child.kill('SIGKILL');
      await gw.done;
      await until(() => states.at(-1) === 'offline', 'the last will (offline state)', { observe: () => states });
      await watcher.endAsync();
      expect(states).toEqual(['online', 'offline']);
    } finally {
      await sim.stop();
    }
  });

  it('`metrogate demo` is not a command of the installed gateway: it exits 64 and says how to run the demo', async () => {
    const res = await runCli(['demo', '--for', '4']);
    expect(res.code).toBe(64);
    expect(res.stderr).toContain('metrogate: the demo is a development tool, not a command of the installed gateway');
    expect(res.stderr).toContain('npm ci && npm run demo -- --for 30');
    // The demo's entry is what `npm run demo` runs.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toContain(`node ${relative(ROOT, DEMO)}`);
  });

  // Two daemons, two simulators (one an OPC UA server), the gateway and the ingest: more than the
  // default 30 s on a loaded machine, though the demo itself polls for 4 s.
  it('the demo (npm run demo -- --for 4) runs the whole lab on private servers and ends with matching counts per instrument', async () => {
    const res = await runCli(['--for', '4'], {}, { script: DEMO });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('OK: every polled reading was published to MQTT and written to InfluxDB.');
    const demo = loadConfig(join(ROOT, 'config/examples/demo.yaml'));
    const engine = new CalibrationEngine({ site: demo.site, instruments: demo.instruments, log: silentLogger() });
    for (const inst of demo.instruments) {
      const row = res.stdout.split('\n').find((l) => l.startsWith(inst.id + ' '));
      expect(row, inst.id).toBeDefined();
      const [, polled, published, written] = row!.trim().split(/\s+/);
      expect(Number(polled)).toBeGreaterThan(0);
      expect(published).toBe(polled);
      expect(written).toBe(polled);
      expect(row).toContain(engine.statusOf(inst.id).status);
    }
    expect(res.stdout).toMatch(/InfluxDB\s+http:\/\/127\.0\.0\.1:\d+ {2}database "metrogate"/);
    expect(res.stdout).toContain('SELECT mean("value")');
  }, 60_000);
});
