/**
 * Credentials inside URLs never reach the log or the terminal (issue 16): a real run with a user
 * and password in mqtt.url and influx.url, its log captured as a user's log collector would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { exitsWithin, runCli, startCli, untilOutput } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MQTT_PASSWORD = 'mqtt-pw-Xq7Z';
const INFLUX_PASSWORD = 'influx-pw-K3rT';

function withCredentials(url: string, user: string, password: string): string {
  return url.replace('://', `://${user}:${password}@`);
}

describe('credentials in URLs', () => {
  it('are masked in every log line of a run (the suite broker takes any user)', async () => {
    const mqttUrl = withCredentials(inject('mqttUrl'), 'gw', MQTT_PASSWORD);
    const path = join(dir, 'run.yaml');
    writeFileSync(
      path,
      stringify({
        site: uniqueName('site'),
        gateway: { id: 'gw-1', logLevel: 'debug' },
        mqtt: { url: mqttUrl, topicPrefix: uniqueName('mg') },
        // Nothing listens on port 1: the direct sink logs the URL it cannot reach.
        influx: { url: `http://ingest:${INFLUX_PASSWORD}@127.0.0.1:1`, sink: { enabled: true } },
        api: { port: 0 },
        spool: { dir: join(dir, 'spool'), drainTimeoutMs: 0 },
        instruments: [
          {
            id: 'oven',
            protocol: 'modbus-tcp',
            connection: { host: '127.0.0.1', port: 1, timeoutMs: 200 },
            channels: [{ id: 't', address: 0, type: 'int16', quantity: 'temperature' }],
          },
        ],
      }),
    );
    const gw = startCli(['run', '--config', path]);
    await untilOutput(gw, 'mqtt connected');
    await untilOutput(gw, 'InfluxDB not reachable at start');
    gw.child.kill('SIGTERM');
    const res = await exitsWithin(gw, 20_000);
    expect(res.code).toBe(0);
    const out = res.stdout + res.stderr;
    expect(out).toContain(`"url":"${inject('mqttUrl').replace('://', '://***@')}"`);
    expect(out).toContain('"url":"http://***@127.0.0.1:1"');
    expect(out).not.toContain(MQTT_PASSWORD);
    expect(out).not.toContain(INFLUX_PASSWORD);
  });

  it('are masked when validate quotes a URL it refuses', async () => {
    // A URL the schema refuses, and one only the connection check refuses (it runs on a schema-valid file).
    const pattern = join(dir, 'bad-scheme.yaml');
    writeFileSync(pattern, `site: lab\nmqtt:\n  url: mqtt://127.0.0.1:1883\ninflux:\n  url: "ftp://ingest:${INFLUX_PASSWORD}@db.lab"\n`);
    const port = join(dir, 'bad-port.yaml');
    writeFileSync(port, `site: lab\nmqtt:\n  url: "mqtt://gw:${MQTT_PASSWORD}@broker.lab:99999"\n`);
    const [a, b] = [await runCli(['validate', '--config', pattern]), await runCli(['validate', '--config', port])];
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(a.stderr.trim()).toBe(`${pattern}: influx.url: expected http://host:port or https://host:port, got "ftp://***@db.lab" (line 5)`);
    expect(b.stderr.trim()).toBe(`${port}: mqtt.url: port 99999 is out of range: expected a port from 1 to 65535, got "mqtt://***@broker.lab:99999" (line 3)`);
    const res = { stdout: a.stdout + b.stdout, stderr: a.stderr + b.stderr };
    expect(res.stderr + res.stdout).not.toMatch(/pw-/);
  });
});
