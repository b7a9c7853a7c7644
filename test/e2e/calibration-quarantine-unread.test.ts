import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { MqttClient } from 'mqtt';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { demoLab, type BrokerConfig } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { recordTopics } from '../support/topic-recorder.js';
import { until } from '../support/until.js';

/**
 * An instrument quarantined before the gateway ever tagged one of its readings (its device does
 * not answer yet, or the gateway has just started): the quarantine is a status change all the same, so it
 * is announced as every other one, on MQTT and as a cal_event annotation, from the status in
 * force until then. The other instruments, tagged for the first time meanwhile, announce nothing:
 * a status found at start is not a change.
 */
const TOKEN = 'quarantine-unread-token-0123456789abcdef';
type Json = Record<string, unknown>;

/** A Modbus TCP answer "server device failure" (exception 4) to the request `frame` (MBAP header + PDU). */
function deviceFailure(frame: Buffer): Buffer {
  return Buffer.from([frame[0]!, frame[1]!, 0, 0, 0, 3, frame[6]!, frame[7]! | 0x80, 4]);
}

/**
 * A device that takes the connection and does not answer (firmware still booting): with a long
 * timeout the gateway has no reading of it, not even a bad one, while the test runs. `release()`
 * answers what it holds and everything after with an exception, so the gateway's requests end
 * and it stops at once (a closed connection would leave them waiting for their timeout).
 */
async function bootingDevice(): Promise<{ port: number; release(): void; close(): Promise<void> }> {
  const held: { socket: Socket; frame: Buffer }[] = [];
  const sockets = new Set<Socket>();
  let answering = false;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 6 && pending.length >= 6 + pending.readUInt16BE(4)) {
        const frame = pending.subarray(0, 6 + pending.readUInt16BE(4));
        pending = pending.subarray(frame.length);
        if (answering) socket.write(deviceFailure(frame));
        else held.push({ socket, frame });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    release: () => {
      answering = true;
      for (const { socket, frame } of held.splice(0)) socket.write(deviceFailure(frame));
    },
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('a quarantine before the first tagged reading is announced like any other status change', { timeout: 60_000 }, () => {
  let config: BrokerConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  let watcher: MqttClient;
  let device: Awaited<ReturnType<typeof bootingDevice>>;
  const messages = new Map<string, unknown[]>();
  const events = (instrument: string) => (messages.get(`${config.mqtt.topicPrefix}/${config.site}/e2e-gw/${instrument}/event`) ?? []) as Json[];
  const influx = async (q: string) => rowsOf(await influxSeries(config.influx!.url, config.influx!.database, q));
  const call = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, api.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    device = await bootingDevice();
    config.api = { ...config.api!, token: TOKEN };
    config.instruments = config.instruments.map((i) =>
      i.id === 'bath-01' && i.protocol === 'modbus-tcp' ? { ...i, connection: { ...i.connection, port: device.port, timeoutMs: 60_000 } } : i,
    );
    config.checks = {
      dir: `${config.spool!.dir}-checks`,
      series: [
        {
          id: 'bath-cell',
          instrument: 'bath-01',
          channel: 'temperature',
          standard: { value: 25, U: 0.01, rule: 'en' },
          chart: { baseline: 20 },
          cusum: { k: 0.5, h: 5 },
          quarantineOn: ['fail'],
        },
      ],
    };
    watcher = await recordTopics(config.mqtt.url, `${config.mqtt.topicPrefix}/#`, messages);
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    await gateway.start();
    api.running();
  }, 30_000);

  afterAll(async () => {
    device?.release();
    await gateway?.stop();
    await device?.close();
    await api?.close();
    await watcher?.endAsync();
    await sim?.stop();
  });

  it("an operator's failed check of the unread bath: valid → quarantined on MQTT and in InfluxDB; the instruments read meanwhile announce nothing", async () => {
    // The other instruments are tagged for the first time, each in its own status: no event.
    for (const id of ['pressure-01', 'balance-01']) await until(() => gateway.pipeline.counters.get(id)!.polled > 0, `readings of ${id} tagged`, 15_000);
    expect(gateway.pipeline.counters.get('bath-01')!.polled).toBe(0);

    // The operator measured the bath in its fixed-point cell by hand: En 5 fails and quarantines it.
    const recorded = await call('/api/checks/bath-cell/results', { measured: 25.05, by: 'operator-1' });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ verdict: 'fail', quarantined: true });

    await until(() => events('bath-01').some((e) => e.kind === 'transition'), 'the quarantine transition of bath-01 on MQTT', 10_000);
    expect(events('bath-01').filter((e) => e.kind === 'transition')).toEqual([
      expect.objectContaining({ from: 'valid', to: 'quarantined', certificate: 'E2E-VALID', reason: expect.stringContaining('check bath-cell') }),
    ]);
    const annotation = `SELECT "text" FROM "cal_event" WHERE "instrument" = 'bath-01' AND "kind" = 'transition'`;
    await until(async () => (await influx(annotation)).length > 0, 'the quarantine cal_event point', { timeoutMs: 10_000 });
    expect((await influx(annotation)).map((r) => r.text)).toEqual([expect.stringMatching(/^bath-01: valid → quarantined \(.*check bath-cell/)]);

    // Still no reading of the bath, and nothing announced for the instruments merely read.
    expect(gateway.pipeline.counters.get('bath-01')!.polled).toBe(0);
    const others = [...messages].filter(([topic]) => topic.endsWith('/event') && !topic.includes('/bath-01/')).flatMap(([, list]) => list as Json[]);
    expect(others.filter((e) => e.kind === 'transition')).toEqual([]);
  });
});
