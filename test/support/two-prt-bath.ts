/**
 * A bath read by two PRTs (a Modbus simulator over TCP, both at 25 °C) on a gateway with real MQTT,
 * InfluxDB and its API, for the intermediate-check tests: the series `bath-pair` compares the PRTs
 * (redundancy, CUSUM, quarantines), `bath-cell` is the operator's fixed-point check of PRT 1. The
 * test drives a slow drift of PRT 2, one fixed step per reading, counted from the gateway's own
 * batches so each drifted reading's difference is known exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { asModbusTcp } from '../../config/schema.js';
import type { CheckConfig } from '../../gateway/checks/check-config.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import type { ReadingBatch } from '../../gateway/reading.js';
import { startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { demoLab, localDate, type BrokerConfig } from './e2e-fixture.js';
import { influxSeries, rowsOf } from './influx-query.js';
import { recordTopics } from './topic-recorder.js';

export const TOKEN = 'checks-e2e-token-0123456789abcdef';
export const NOMINAL = 25;
/** Chart set by hand: σ of the difference between the PRTs. */
export const SIGMA = 0.01;
export const CUSUM = { k: 0.5, h: 5 };
/** Drift of the second PRT per reading: 0.2 σ. */
export const STEP = 0.002;
/** Standard uncertainty of each PRT (uncertaintyBudget): the redundancy limit is 2·√2·0.02 = 0.057 °C. */
export const U_PRT = 0.02;

export type Json = Record<string, unknown>;

function startTwoPrtSimulator(): Promise<Simulator> {
  const points = ['t1', 't2'].map((channel, i) => ({
    channel,
    function: 'input' as const,
    address: 2 * i,
    type: 'float32',
    quantity: 'temperature',
    unit: '°C',
    signal: { kind: 'constant' as const, value: NOMINAL },
  }));
  return startSimulator({ devices: [{ id: 'bath', static: true, profile: { name: 'two-prt-bath', description: 'a bath read by two PRTs', points } }] });
}

const CHECK_SERIES: CheckConfig[] = [
  {
    id: 'bath-pair',
    instrument: 'bath-02',
    channel: 't2',
    redundancy: { channel: 't1', k: 2, minDurationMs: 2000, maxSkewMs: 1000 },
    chart: { baseline: 20, centre: 0, sigma: SIGMA },
    cusum: CUSUM,
    quarantineOn: ['fail', 'CUSUM'],
  },
  {
    // The operator's check: PRT 1 in a fixed-point cell of 25 °C, recorded with the CLI.
    id: 'bath-cell',
    instrument: 'bath-02',
    channel: 't1',
    standard: { value: NOMINAL, U: 0.01, rule: 'en' },
    chart: { baseline: 20 },
    cusum: CUSUM,
    quarantineOn: ['fail'],
  },
];

/** The demo lab's servers and bath-01's channel settings, for one instrument: the two-PRT bath. */
function checksConfig(base: BrokerConfig, dir: string, port: number): BrokerConfig {
  const template = asModbusTcp(base.instruments.find((i) => i.id === 'bath-01'));
  const probe = template.channels.find((c) => c.id === 'temperature')!;
  return {
    ...base,
    api: { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN, trendPoints: 5 },
    calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
    checks: { dir: join(dir, 'checks'), series: CHECK_SERIES },
    instruments: [
      {
        ...template,
        id: 'bath-02',
        name: 'Bath with two PRTs',
        pollIntervalMs: 200,
        connection: { ...template.connection, port },
        channels: [
          { ...probe, id: 't1', address: 0 },
          { ...probe, id: 't2', address: 2 },
        ],
        calibration: { certificate: 'E2E-BATH-2026', calibrated: localDate(-100), due: localDate(200), range: { min: 0, max: 100 } },
        uncertaintyBudget: [{ components: [{ name: 'PRT', u: U_PRT }] }],
      },
    ],
  };
}

export class TwoPrtBath {
  readonly reports: string;
  /** Every JSON message under the config's topic prefix, by topic, in arrival order. */
  readonly messages = new Map<string, unknown[]>();
  /** Bath batches the gateway tagged; from `driftFrom` on, each sets the next reading's drift. */
  batches = 0;
  #driftFrom = Infinity;
  #drifting = false;
  #gateway: Gateway | undefined;
  #api: GatewayApi | undefined;
  #watcher: MqttClient | undefined;
  readonly config: BrokerConfig;

  constructor(
    readonly dir: string,
    base: BrokerConfig,
    readonly sim: Simulator,
    private readonly demoSim: Simulator,
  ) {
    this.reports = join(dir, 'reports');
    this.config = checksConfig(base, dir, sim.device('bath').port);
  }

  get gateway(): Gateway {
    if (!this.#gateway) throw new Error('the gateway is not built');
    return this.#gateway;
  }

  get api(): GatewayApi {
    if (!this.#api) throw new Error('the gateway is not running');
    return this.#api;
  }

  topic(leaf: string): string {
    return `${this.config.mqtt.topicPrefix}/${this.config.site}/e2e-gw/bath-02/${leaf}`;
  }

  on(leaf: string): Json[] {
    return (this.messages.get(this.topic(leaf)) ?? []) as Json[];
  }

  checkEvents(): Json[] {
    return this.on('event').filter((e) => e.kind === 'check');
  }

  async influx(q: string): Promise<Json[]> {
    return rowsOf(await influxSeries(this.config.influx!.url, this.config.influx!.database, q));
  }

  /** An API call with the token. */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(new URL(path, this.api.url), {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  /** What a user subscribing now receives: the retained status. */
  async retainedStatus(): Promise<Json> {
    const client = await connectAsync(this.config.mqtt.url, { protocolVersion: 5 });
    try {
      const got = new Promise<Json>((resolve) => client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as Json)));
      await client.subscribeAsync(this.topic('status'), { qos: 1 });
      return await got;
    } finally {
      await client.endAsync();
    }
  }

  /** PRT 2 starts to drift: not at the next reading (its poll may be on its way already) but the one after it. */
  startDrift(): void {
    this.#driftFrom = this.batches + 2;
    this.#drifting = true;
  }

  /** The drift repaired: PRT 2 reads the bath's temperature again. */
  stopDrift(): void {
    this.#drifting = false;
    this.sim.device('bath').set('t2', NOMINAL);
  }

  async start(): Promise<void> {
    this.#watcher = await recordTopics(this.config.mqtt.url, `${this.config.mqtt.topicPrefix}/#`, this.messages);
    const log = pino({ level: 'silent' });
    const gateway = buildGateway(this.config, log, { drivers: true, ingest: true });
    this.#gateway = gateway;
    // After each bath reading the drift sets what the next one reads, so reading driftFrom + i − 1
    // differs from the other PRT by exactly i steps.
    gateway.pipeline.onReadings((b: ReadingBatch) => {
      if (b.instrument !== 'bath-02') return;
      this.batches++;
      if (this.#drifting && this.batches + 1 >= this.#driftFrom) this.sim.device('bath').set('t2', NOMINAL + STEP * (this.batches + 2 - this.#driftFrom));
    });
    this.#api = (await serveGatewayApi(gateway, this.config, log))!;
    await gateway.start();
    this.#api.running();
  }

  async close(): Promise<void> {
    await this.#gateway?.stop();
    await this.#api?.close();
    await this.#watcher?.endAsync();
    await this.sim.stop();
    await this.demoSim.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startTwoPrtBath(mqttUrl: string, influxUrl: string): Promise<TwoPrtBath> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-checks-'));
  const { config: base, sim: demoSim } = await demoLab(mqttUrl, influxUrl);
  const bath = new TwoPrtBath(dir, base, await startTwoPrtSimulator(), demoSim);
  try {
    await bath.start();
    return bath;
  } catch (err) {
    await bath.close();
    throw err;
  }
}
