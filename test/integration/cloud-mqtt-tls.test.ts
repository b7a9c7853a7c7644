import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { freePort } from '../../tools/private-services/free-port.js';
import type { CloudConfig } from '../../gateway/sinks/cloud/cloud-config.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { demoLab } from '../support/e2e-fixture.js';
import { makeCerts, startTlsBroker, validateRoster, type TestCerts, type TlsBroker } from './cloud-fixture.js';
import { until } from '../support/until.js';

describe('cloud uplink over MQTT 5 with TLS (a second Mosquitto, certificates made at test time)', () => {
  let certs: TestCerts;
  let cloud: TlsBroker;
  let mtlsUrl: string;
  let platform: MqttClient;
  const messages: { topic: string; payload: Buffer; retain: boolean }[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    certs = makeCerts();
    const mtlsPort = await freePort();
    cloud = await startTlsBroker(certs, { gateway: 'gw-secret-1', platform: 'platform-secret' }, [
      `listener ${mtlsPort} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate true',
      'use_identity_as_username true',
    ]);
    mtlsUrl = `mqtts://127.0.0.1:${mtlsPort}`;
    // The platform's own subscriber, over TLS with its own account.
    platform = await connectAsync(cloud.tlsUrl, { protocolVersion: 5, ca: readFileSync(certs.ca), username: 'platform', password: 'platform-secret' });
    platform.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
    await platform.subscribeAsync('#', { qos: 1 });
  });
  afterAll(async () => {
    await platform?.endAsync();
    await cloud?.broker.stop();
    certs?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function lab(over: Partial<CloudConfig>, drainTimeoutMs = 100): Promise<{ gateway: Gateway; config: MetrogateConfig; sim: Simulator }> {
    const { config: base, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-tls-spool-'));
    dirs.push(dir);
    const config: MetrogateConfig = {
      ...base,
      // Nothing subscribes to the edge broker here: its acknowledgement is delivery (mqtt.requireSubscribers off).
      mqtt: { ...base.mqtt!, requireSubscribers: false },
      spool: { dir, synchronous: 'normal', commitIntervalMs: 0, drainTimeoutMs },
      cloud: {
        enabled: true,
        url: cloud.tlsUrl,
        ca: certs.ca,
        username: 'gateway',
        password: 'gw-secret-1',
        format: 'json',
        topicPrefix: `cloud/${base.site}`,
        inOrder: true,
        maxInFlight: 64,
        batchMaxReadings: 5000,
        timeoutMs: 5000,
        ...over,
      },
    };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    return { gateway, config, sim };
  }

  const cloudStats = (g: Gateway) => g.pipeline.spoolStats().find((s) => s.sink === 'cloud')!;
  const of = (prefix: string) => messages.filter((m) => m.topic.startsWith(prefix + '/'));

  it('publishes every reading over TLS with username and password, in order, with a retained roster and state', async () => {
    const { gateway, config, sim } = await lab({}, 15_000);
    const prefix = `cloud/${config.site}`;
    try {
      // The platform has heard from the gateway: its state, the roster and data of every instrument.
      const heard = () => of(prefix).map((m) => m.topic.slice(`${prefix}/${config.site}/e2e-gw/`.length));
      const wanted = ['state', 'roster', ...config.instruments.map((i) => `${i.id}/data`)];
      await until(() => wanted.every((t) => heard().includes(t)), `${wanted.join(', ')} at the platform`, {
        timeoutMs: 15_000,
        observe: () => [...new Set(heard())],
      });
      // A calibration event goes from the spool to the JSON uplink too, on its event topic.
      gateway.calibration.setManualStatus({ instrument: 'dmm-01', status: 'quarantined', reason: 'cloud test' });
      await gateway.stopPolling();
      const events = of(prefix)
        .filter((m) => m.topic === `${prefix}/${config.site}/e2e-gw/dmm-01/event`)
        .map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
      expect(events).toEqual([
        expect.objectContaining({
          v: 1,
          site: config.site,
          gateway: 'e2e-gw',
          instrument: 'dmm-01',
          kind: 'transition',
          to: 'quarantined',
          reason: 'quarantined: cloud test',
        }),
      ]);
      const data = of(prefix)
        .filter((m) => m.topic.endsWith('/data'))
        .map((m) => JSON.parse(m.payload.toString()) as WireBatch);
      for (const inst of config.instruments) {
        const polled = gateway.pipeline.counters.get(inst.id)!.polled;
        const seqs = data.filter((b) => b.instrument === inst.id).flatMap((b) => b.readings.map((r) => r.seq));
        expect(seqs, inst.id).toEqual(Array.from({ length: polled }, (_, i) => i + 1));
      }
      expect(of(prefix).find((m) => m.topic === `${prefix}/${config.site}/e2e-gw/bath-01/data`)).toBeDefined();
      const roster = of(prefix)
        .filter((m) => m.topic === `${prefix}/${config.site}/e2e-gw/roster`)
        .at(-1)!;
      const doc = JSON.parse(roster.payload.toString()) as unknown;
      expect(validateRoster(doc), JSON.stringify(validateRoster.errors)).toBe(true);
      expect(doc).toMatchObject({ site: config.site, gateway: 'e2e-gw', instruments: expect.arrayContaining([expect.objectContaining({ id: 'bath-01' })]) });
      expect(
        JSON.parse(
          of(prefix)
            .find((m) => m.topic.endsWith('/e2e-gw/state'))!
            .payload.toString(),
        ),
      ).toMatchObject({ state: 'online' });
    } finally {
      await gateway.stop();
      await sim.stop();
    }
    // A clean stop says offline on the state topic (what the last will says on a crash).
    await until(
      () =>
        of(prefix)
          .filter((m) => m.topic.endsWith('/e2e-gw/state'))
          .some((m) => JSON.parse(m.payload.toString()).state === 'offline'),
      'offline state',
      15_000,
    );
  });

  it('connects with a client certificate (mutual TLS)', async () => {
    const { gateway, config, sim } = await lab(
      { url: mtlsUrl, cert: certs.clientCert, key: certs.clientKey, username: undefined, password: undefined },
      15_000,
    );
    const prefix = `cloud/${config.site}`;
    try {
      await until(() => of(prefix).some((m) => m.topic.endsWith('/data')), 'data over mutual TLS', 15_000);
      expect(cloudStats(gateway).connected).toBe(true);
    } finally {
      await gateway.stop();
      await sim.stop();
    }
  });

  it('a wrong password is refused with a clear error; the readings wait in the spool', async () => {
    const { gateway, config, sim } = await lab({ password: 'wrong' });
    try {
      await until(() => cloudStats(gateway).depth >= 20 && cloudStats(gateway).lastError !== null, 'readings piling up', 15_000);
      expect(cloudStats(gateway).lastError).toMatch(/bad username or password|not authorized/i);
      expect(cloudStats(gateway)).toMatchObject({ connected: false, dropped: 0, delivered: 0 });
      expect(of(`cloud/${config.site}`)).toEqual([]);
      // The edge broker is not affected: it took everything.
      expect(gateway.pipeline.spoolStats().find((s) => s.sink === 'mqtt')!.delivered).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
      await sim.stop();
    }
  });

  it('a broker whose certificate the configured CA did not sign is refused; the readings wait in the spool', async () => {
    const { gateway, config, sim } = await lab({ ca: certs.otherCa });
    try {
      await until(() => cloudStats(gateway).depth >= 20 && cloudStats(gateway).lastError !== null, 'readings piling up', 15_000);
      expect(cloudStats(gateway).lastError).toMatch(/TLS: the server certificate of mqtts:\/\/127\.0\.0\.1:\d+ is not trusted by the CA in cloud\.ca/);
      expect(cloudStats(gateway)).toMatchObject({ connected: false, dropped: 0, delivered: 0 });
      expect(of(`cloud/${config.site}`)).toEqual([]);
    } finally {
      await gateway.stop();
      await sim.stop();
    }
  });
});
