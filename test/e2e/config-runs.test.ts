/**
 * The rule of issue 16: anything `validate` accepts runs. fast-check draws configs around a
 * working one (values at and beyond the schema's bounds, names with the characters that break
 * topics and the line protocol, URLs with and without host, port and credentials, tokens weak
 * and strong); each goes through the YAML loader as a file would. A config the loader refuses
 * must be refused with a ConfigError (never a crash); one it accepts must start against the
 * suite's real Mosquitto and InfluxDB and a real Modbus simulator, poll at its configured rate
 * (a timer Node clamped to 1 ms polled thousands of times) and stop cleanly within a bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { devicesFromConfig, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { serveGatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { ROOT, uniqueName } from '../support/e2e-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-config-runs-'));
let sim: Simulator;
beforeAll(async () => {
  // The demo's bath: a real Modbus TCP server; a read past its registers answers an exception
  // (a bad reading), which is a run too.
  const demo = loadConfig(join(ROOT, 'config/examples/demo.yaml'));
  sim = await startSimulator({ devices: devicesFromConfig(demo, { ephemeralPorts: true, static: true }).devices });
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TIMER_MAX = 2 ** 31 - 1;
/** Text built from the characters that matter to topics, InfluxDB and YAML. */
const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '_', '/', '#', '+', '$', ' ', '\n', '\\', '"', 'é', '°', '\u0000'), maxLength: 12 });
const STRONG = 'a3f1c9e07b5d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f';
/** Milliseconds at and beyond the bounds, including what used to be accepted and clamped to 1 ms. */
const wildMillis = fc.oneof(fc.integer({ min: -10, max: 2 ** 33 }), fc.constantFrom(0, 1, 9, 10, TIMER_MAX, TIMER_MAX + 1, 2 ** 32, 1e20, 1.5));

/** Per option: an ordinary value, and a wild one drawn from the edges of what a file can hold. */
const fields = {
  pollIntervalMs: [fc.integer({ min: 50, max: 2_000 }), wildMillis],
  timeoutMs: [fc.integer({ min: 50, max: 2_000 }), wildMillis],
  statsIntervalMs: [fc.constantFrom(1000, 5000), wildMillis],
  heartbeatMs: [fc.integer({ min: 100, max: 60_000 }), wildMillis],
  drainTimeoutMs: [fc.constantFrom(0, 500), wildMillis],
  flushIntervalMs: [fc.integer({ min: 50, max: 2_000 }), wildMillis],
  sessionExpirySeconds: [fc.constantFrom(60, 3600), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 40, -1)],
  topicPrefix: [fc.constantFrom('metrogate', 'plant/line-1'), fc.oneof(text, fc.constantFrom('$SYS', '#', 'a/+/b', '$share/x'))],
  sites: [fc.constant([] as string[]), fc.array(fc.oneof(text, fc.constant('+')), { minLength: 1, maxLength: 3 })],
  unit: [fc.constantFrom('°C', '', 'kPa'), text],
  quantity: [fc.constant('temperature'), text],
  measurement: [fc.constant('reading'), text],
  type: [fc.constantFrom('float32', 'int16'), fc.constantFrom('float64', 'string(8)', 'string(200)', 'string(0)')],
  maxRegistersPerRead: [fc.constant(125), fc.integer({ min: 0, max: 130 })],
  mqttUrl: [
    fc.constantFrom('broker', 'broker/'),
    fc.constantFrom('mqtt://', 'mqtt://:1883', 'mqtt://127.0.0.1:99999', 'mqtt://127.0.0.1:0', 'mqtt:///x', 'ftp://x'),
  ],
  credentials: [fc.constantFrom<'none' | 'both' | 'password'>('none', 'both'), fc.constant('password')],
  apiHost: [fc.constantFrom('127.0.0.1', 'localhost', '::1'), fc.constantFrom('0.0.0.0', '127.0.1.1', '::')],
  token: [
    fc.constantFrom('', STRONG),
    fc.oneof(text, fc.constantFrom('short-token-1234', `${STRONG.slice(0, 20)} ${STRONG.slice(20)}`, 'ab'.repeat(40), STRONG.slice(0, 30))),
  ],
  ingest: [fc.boolean(), fc.boolean()],
} as const;
type Field = keyof typeof fields;
type Draw = { [K in Field]: (typeof fields)[K][0] extends fc.Arbitrary<infer T> ? T : never } & { wild: Field[] };

/** Mostly ordinary configs with one to three wild options, so both outcomes come often. */
const names = Object.keys(fields) as Field[];
const draws: fc.Arbitrary<Draw> = fc
  .tuple(
    fc.record(Object.fromEntries(names.map((k) => [k, fields[k][0]])) as { [K in Field]: fc.Arbitrary<unknown> }),
    fc.record(Object.fromEntries(names.map((k) => [k, fields[k][1]])) as { [K in Field]: fc.Arbitrary<unknown> }),
    fc.subarray(names, { minLength: 0, maxLength: 3 }),
  )
  .map(([plain, wild, chosen]) => {
    const d: Record<string, unknown> = { ...plain, wild: chosen };
    for (const k of chosen) d[k] = wild[k];
    return d as Draw;
  });

function configText(d: Draw, n: number): string {
  const broker = inject('mqttUrl');
  let url = d.mqttUrl === 'broker' ? broker : d.mqttUrl === 'broker/' ? `${broker}/` : d.mqttUrl;
  const mqtt: Record<string, unknown> = { url, topicPrefix: d.topicPrefix };
  if (d.credentials === 'both') url = mqtt.url = url.replace('://', '://gw:secret@');
  if (d.credentials === 'password') mqtt.password = 'secret';
  return stringify({
    site: uniqueName('site'),
    gateway: { id: 'prop-gw', logLevel: 'silent', statsIntervalMs: d.statsIntervalMs },
    mqtt,
    influx: { url: inject('influxUrl'), database: uniqueName('db'), measurement: d.measurement, flushIntervalMs: d.flushIntervalMs },
    ingest: { enabled: d.ingest, sites: d.sites.length > 0 ? d.sites : undefined, sessionExpirySeconds: d.sessionExpirySeconds },
    api: { host: d.apiHost, port: 0, token: d.token, stream: { heartbeatMs: d.heartbeatMs } },
    spool: { dir: join(dir, `spool-${n}`), drainTimeoutMs: d.drainTimeoutMs },
    calibration: { recordsDir: join(dir, `records-${n}`), reportsDir: join(dir, `reports-${n}`) },
    instruments: [
      {
        id: 'oven',
        protocol: 'modbus-tcp',
        pollIntervalMs: d.pollIntervalMs,
        maxRegistersPerRead: d.maxRegistersPerRead,
        connection: { host: '127.0.0.1', port: sim.device('bath-01').port, timeoutMs: d.timeoutMs },
        channels: [{ id: 't', address: 0, type: d.type, quantity: d.quantity, unit: d.unit }],
      },
    ],
  });
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts what the config says, lets it run ~400 ms, checks the poll rate, stops it. */
async function runsCleanly(config: MetrogateConfig): Promise<void> {
  const log = silentLogger();
  const gateway = buildGateway(config, log, { drivers: true, ingest: config.ingest?.enabled === true });
  const api = await serveGatewayApi(gateway, config, log);
  const started = Date.now();
  try {
    await within(gateway.start(), 15_000, 'start');
    await new Promise((r) => setTimeout(r, 400));
  } finally {
    await within(gateway.stop(), 15_000, 'stop');
    await api?.close();
  }
  const ran = Date.now() - started;
  const polls = gateway.drivers.flatMap((d) => d.stats()).reduce((n, s) => n + s.polls, 0);
  const interval = (config.instruments[0] as { pollIntervalMs: number }).pollIntervalMs;
  // One poll at start, then one per interval: never the thousands of a timer clamped to 1 ms.
  expect(polls, `polls in ${ran} ms at ${interval} ms`).toBeLessThanOrEqual(Math.ceil(ran / interval) + 2);
}

describe('anything validate accepts runs', () => {
  it('generated configs: refused with a ConfigError, or started, polling at their rate, and stopped', async () => {
    let n = 0;
    const outcome = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(draws, async (d) => {
        const file = join(dir, `config-${++n}.yaml`);
        let config: MetrogateConfig;
        try {
          config = parseConfig(configText(d, n), file, {});
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(err.message).not.toContain('secret');
          outcome.refused++;
          return;
        }
        outcome.accepted++;
        await runsCleanly(config);
      }),
      // Biased towards valid values often enough that both outcomes are well exercised.
      { numRuns: 50, seed: 1604, endOnFailure: true },
    );
    expect(outcome.accepted, JSON.stringify(outcome)).toBeGreaterThanOrEqual(5);
    expect(outcome.refused, JSON.stringify(outcome)).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
