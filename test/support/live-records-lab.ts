/**
 * The demo lab for the live-records tests: a gateway on real servers (Modbus simulator, MQTT,
 * InfluxDB) whose records dir receives certificates while it runs, with everything it publishes
 * recorded and its log kept. pressure-01 starts without any record, so its first certificate covers
 * only the channel it names.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { runCli, type CliResult } from './cli.js';
import { demoLab, localDate, ROOT, type BrokerConfig } from './e2e-fixture.js';
import { influxSeries, rowsOf } from './influx-query.js';
import { recordTopics } from './topic-recorder.js';
import { until } from './until.js';

export const FIXTURE = join(ROOT, 'test', 'fixtures', 'dcc', 'pressure-asfound-fail.xml');
export const SHARED = join(ROOT, '../shared/fixtures/dcc');
/** The certificate number in FIXTURE. */
export const CERT = 'LIVE-P-2026-0901';
export const TOKEN = 'live-records-test-token-0123456789';
/** The fixture's as-left table (kPa): the correction new readings must carry. */
const AS_LEFT: [number, number][] = [
  [0, 0.004],
  [100.008, 0.008],
  [200.012, 0.012],
  [300.01, 0.01],
  [400.006, 0.006],
];

/** The error of FIXTURE's as-left table at `raw`, interpolated linearly. */
export function errorAt(raw: number): number {
  for (let i = 1; i < AS_LEFT.length; i++) {
    const [x0, e0] = AS_LEFT[i - 1]!;
    const [x1, e1] = AS_LEFT[i]!;
    if (raw <= x1) return e0 + ((raw - x0) / (x1 - x0)) * (e1 - e0);
  }
  throw new Error(`${raw} is outside the table`);
}

const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'gateway/schemas', name), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(schema('reading-batch.schema.json'));
export const validateEvent = ajv.compile(schema('cal-event.schema.json'));
export const validateStatus = ajv.compile(schema('instrument-status.schema.json'));

export type Json = Record<string, unknown>;
export interface WireReading {
  channel: string;
  raw: number;
  value: number;
  u?: number;
  cal: { status: string; certificate: string | null };
}

function liveConfig(base: BrokerConfig, records: string, reports: string): BrokerConfig {
  return {
    ...base,
    api: { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN, trendPoints: 5 },
    // The site's trust store: uploads are verified as `metrogate dcc import` verifies files.
    calibration: { recordsDir: records, reportsDir: reports, trust: join(SHARED, 'trusted_certs') },
    instruments: base.instruments.map((i) => {
      if (i.id !== 'pressure-01') return i;
      const { calibration: _none, ...rest } = i;
      return rest;
    }),
  };
}

export class LiveRecordsLab {
  readonly records: string;
  readonly reports: string;
  /** Every JSON message under the lab's topic prefix, by topic, in arrival order. */
  readonly messages = new Map<string, unknown[]>();
  /** The gateway's log, one object per line. */
  readonly logLines: Json[] = [];
  readonly config: BrokerConfig;
  #gateway: Gateway | undefined;
  #api: GatewayApi | undefined;
  #watcher: MqttClient | undefined;

  constructor(
    readonly dir: string,
    base: BrokerConfig,
    readonly sim: Simulator,
  ) {
    this.records = join(dir, 'records');
    this.reports = join(dir, 'reports');
    this.config = liveConfig(base, this.records, this.reports);
  }

  get api(): GatewayApi {
    if (!this.#api) throw new Error('the gateway is not running');
    return this.#api;
  }

  topic(instrument: string, leaf: string): string {
    return `${this.config.mqtt.topicPrefix}/${this.config.site}/e2e-gw/${instrument}/${leaf}`;
  }

  on(instrument: string, leaf: string): Json[] {
    return (this.messages.get(this.topic(instrument, leaf)) ?? []) as Json[];
  }

  events(instrument: string, kind: string, channel?: string): Json[] {
    return this.on(instrument, 'event').filter((e) => e.kind === kind && e.channel === channel);
  }

  lastStatus(instrument: string): Json | undefined {
    return this.on(instrument, 'status').at(-1);
  }

  readingsOf(instrument: string, channel: string): WireReading[] {
    return this.on(instrument, 'data').flatMap((b) => (b.readings as WireReading[]).filter((r) => r.channel === channel));
  }

  async calEvents(instrument: string, kind: string): Promise<Json[]> {
    const { url, database } = this.config.influx!;
    return rowsOf(await influxSeries(url, database, `SELECT * FROM "cal_event" WHERE "instrument" = '${instrument}' AND "kind" = '${kind}'`));
  }

  async watch(): Promise<void> {
    this.#watcher = await recordTopics(this.config.mqtt.url, `${this.config.mqtt.topicPrefix}/#`, this.messages);
  }

  async startGateway(): Promise<void> {
    const logger = () => pino({ level: 'info' }, { write: (line: string) => void this.logLines.push(JSON.parse(line) as Json) });
    this.#gateway = buildGateway(this.config, logger(), { drivers: true, ingest: true });
    this.#api = (await serveGatewayApi(this.#gateway, this.config, logger()))!;
    await this.#gateway.start();
    this.#api.running();
  }

  async stopGateway(): Promise<void> {
    await this.#gateway?.stop();
    await this.#api?.close();
    this.#gateway = undefined;
    this.#api = undefined;
  }

  /** `metrogate dcc import` of a pressure-01 certificate into the records dir, due in a year. */
  importDcc(file: string, channel: string): Promise<CliResult> {
    const args = ['--instrument', 'pressure-01', '--channel', channel, '--unit', 'kPa', '--records-dir', this.records, '--due', localDate(365)];
    return runCli(['dcc', 'import', file, ...args]);
  }

  /** Waits for the suspect event, its cal_event point and the report, and returns how long it took. */
  async suspectFound(instrument: string, channel: string | undefined, certificate: string, since: number): Promise<number> {
    const onMqtt = () => this.events(instrument, 'suspect', channel).some((e) => e.certificate === certificate);
    await until(onMqtt, `the suspect event of ${certificate} on MQTT`, 10_000);
    const stored = async () => (await this.calEvents(instrument, 'suspect')).some((p) => p.certificate === certificate);
    await until(stored, `the cal_event point of ${certificate}`, 10_000);
    const report = join(this.reports, `${instrument}${channel ? `.${channel}` : ''}-${certificate}-impact.json`);
    await until(() => existsSync(report), `the impact report ${report}`, 10_000);
    return Date.now() - since;
  }

  async close(): Promise<void> {
    await this.stopGateway();
    await this.#watcher?.endAsync();
    await this.sim.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts the lab's gateway and returns once pressure-01's readings reach the broker. */
export async function startLiveRecordsLab(mqttUrl: string, influxUrl: string): Promise<LiveRecordsLab> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-live-'));
  const { config, sim } = await demoLab(mqttUrl, influxUrl);
  const lab = new LiveRecordsLab(dir, config, sim);
  try {
    await lab.watch();
    await lab.startGateway();
    await until(() => lab.readingsOf('pressure-01', 'pressure').length >= 2, 'readings of pressure-01', 30_000);
    return lab;
  } catch (err) {
    await lab.close();
    throw err;
  }
}
