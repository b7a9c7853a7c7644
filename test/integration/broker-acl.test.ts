import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { ROOT } from '../support/e2e-fixture.js';
import { until } from '../support/until.js';

/** A real Mosquitto with the shipped ACL (config/deploy/mosquitto.acl) and a password file made here. */
describe('broker ACL: each gateway publishes only under its own site/gateway prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-acl-'));
  let broker: PrivateService;
  const clients: MqttClient[] = [];
  const login = async (username: string, password = `${username}-secret`) => {
    const c = await connectAsync(broker.url, { protocolVersion: 5, username, password, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const passwords = join(dir, 'passwords');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwords, 'edge-01', 'edge-01-secret']);
    for (const user of ['edge-02', 'ingest']) execFileSync('mosquitto_passwd', ['-b', passwords, user, `${user}-secret`]);
    const acl = join(dir, 'mosquitto.acl');
    copyFileSync(join(ROOT, 'config/deploy/mosquitto.acl'), acl);
    broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwords}`, `acl_file ${acl}`] });
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts a gateway's publish under its prefix and refuses one under another gateway's", async () => {
    const ingest = await login('ingest');
    const seen: string[] = [];
    ingest.on('message', (topic) => seen.push(topic));
    await ingest.subscribeAsync('$share/ingest/metrogate/+/+/+/data', { qos: 1 });

    const edge = await login('edge-01');
    await expect(edge.publishAsync('metrogate/lab-a/edge-01/bath-01/data', '{}', { qos: 1 })).resolves.toBeDefined();
    await expect(edge.publishAsync('metrogate/lab-a/edge-02/bath-01/data', '{}', { qos: 1 })).rejects.toThrow(/Not authorized/i);
    await expect(edge.publishAsync('metrogate/lab-b/edge-01/bath-01/data', '{}', { qos: 1 })).rejects.toThrow(/Not authorized/i);
    // A barrier: an allowed publish after the refused ones; once it arrives, they would have.
    await edge.publishAsync('metrogate/lab-a/edge-01/dmm-01/data', '{}', { qos: 1 });
    await until(() => seen.includes('metrogate/lab-a/edge-01/dmm-01/data'), 'the barrier message', { observe: () => seen });
    expect(seen).toEqual(['metrogate/lab-a/edge-01/bath-01/data', 'metrogate/lab-a/edge-01/dmm-01/data']);
  });

  it('lets the ingest user read but not publish data, and refuses a wrong password', async () => {
    const ingest = await login('ingest');
    await expect(ingest.publishAsync('metrogate/lab-a/edge-01/bath-01/data', '{}', { qos: 1 })).rejects.toThrow(/Not authorized/i);
    await expect(login('edge-01', 'wrong')).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });

  it("carries the ingest's resend requests to the gateway they are for, and to no other", async () => {
    const got = new Map<string, string[]>();
    for (const gw of ['edge-01', 'edge-02']) {
      const edge = await login(gw);
      got.set(gw, []);
      edge.on('message', (topic) => got.get(gw)!.push(topic));
      const [granted] = await edge.subscribeAsync('metrogate/lab-a/edge-01/control/resend', { qos: 1 });
      // Mosquitto grants the subscription and then withholds what the ACL does not let the user read.
      expect(granted!.qos).toBe(1);
    }
    const ingest = await login('ingest');
    await expect(ingest.publishAsync('metrogate/lab-a/edge-01/control/resend', '{}', { qos: 1 })).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(got.get('edge-01')).toEqual(['metrogate/lab-a/edge-01/control/resend']);
    expect(got.get('edge-02')).toEqual([]);
  });
});
