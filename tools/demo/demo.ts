import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { packageRoot } from '../../config/write-json-schema.js';
import { devicesFromConfig, startSimulator, type Simulator } from '../simulators/modbus/index.js';
import { startOpcuaSimulatorFor, wireToSimulator } from '../simulators/opcua/index.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { createLogger } from '../../gateway/log.js';
import { ensureInstalled } from '../private-services/ensure-installed.js';
import { startInfluxDB } from '../private-services/influxdb.js';
import { startMosquitto } from '../private-services/mosquitto.js';
import type { PrivateService } from '../private-services/daemon.js';
import { printSummary, type InstrumentSummary } from './demo-summary.js';

export interface DemoOptions {
  /** Stop after this many seconds and print the summary; otherwise run until Ctrl-C. */
  seconds?: number | undefined;
  /** Leave Mosquitto and InfluxDB running after the demo (prints how to reach them). */
  keep?: boolean;
}

export const DEMO_CONFIG = 'config/examples/demo.yaml';

/**
 * `npm run demo` (tools/demo/main.ts): private broker and database on free ports, the demo lab's simulated
 * instruments, and the gateway with its ingest role, all stopped again at the end.
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const configFile = join(packageRoot(), DEMO_CONFIG);
  const config = loadConfig(configFile);
  const log = createLogger(config.gateway?.logLevel ?? 'info');
  await ensureInstalled(['mosquitto', 'influxd'], { log });

  const started: { stop(): Promise<void> }[] = [];
  let gateway: Gateway | undefined;
  let api: GatewayApi | null = null;
  try {
    const [mosquitto, influx] = await Promise.all([startMosquitto(), startInfluxDB()]);
    started.push(mosquitto, influx);
    log.info({ mqtt: mosquitto.url, influx: influx.url }, 'private Mosquitto and InfluxDB started');
    const sim = await startSimulator({ devices: devicesFromConfig(config, { ephemeralPorts: true }).devices });
    started.push(sim);
    // The demo's spool, records and reports live in a temp dir: each demo starts clean and
    // leaves nothing in the source tree.
    const state = mkdtempSync(join(tmpdir(), 'metrogate-demo-'));
    started.push({ stop: async () => rmSync(state, { recursive: true, force: true }) });
    const opcua = await startOpcuaSimulatorFor(config, { pkiDir: join(state, 'opcua-simulator-pki') });
    started.push(opcua);
    const live = wireToSimulator(wireDemo(config, mosquitto, influx, sim, state), opcua, join(state, 'opcua-gateway-pki'));
    gateway = buildGateway(live, log, { drivers: true, ingest: true });
    // A free port, like the broker and database: the demo never collides with a running gateway.
    api = await serveGatewayApi(gateway, live, log, { port: 0 });
    if (api) console.log(`Live page: ${api.url}`);
    await gateway.start();
    api?.running();

    const ended = opts.seconds === undefined ? untilInterrupted() : Promise.race([sleep(opts.seconds * 1000), untilInterrupted()]);
    await ended;
    log.info('demo ending: stopping the pollers and delivering what they read');
    api?.stopping();
    await gateway.stopPolling();
    const published = sumDelivered(gateway, 'mqtt');
    await waitForStored(live, influx, published, 15_000);
    await gateway.stop();
    await api?.close();
    const rows = await summarise(live, gateway, influx);
    // Built apart from the call so that it fits printSummary with or without the gateway field.
    const where = { mqttUrl: mosquitto.url, influxUrl: influx.url, seconds: opts.seconds, gateway: gateway.id };
    printSummary(live, rows, where);
    if (api) console.log(`  Live page        ${api.url}  (HTTP API, /metrics, /openapi.json; while the demo ran)`);
    if (opts.keep) {
      // Before this, the exit hook killed both the moment the demo returned, whatever it printed.
      await Promise.all([mosquitto.keep(), influx.keep()]);
      started.splice(0, 2);
      console.log(`\nLeft running (--keep): Mosquitto ${mosquitto.url} (pid ${mosquitto.pid}), InfluxDB ${influx.url} (pid ${influx.pid}).`);
      console.log(`Stop them with: kill ${mosquitto.pid} ${influx.pid}; their data: ${mosquitto.dataDir} ${influx.dataDir}`);
    }
    const mismatch = rows.some((r) => r.polled !== r.published || r.published !== r.written);
    return mismatch ? 1 : 0;
  } finally {
    await api?.close().catch(() => undefined);
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  }
}

function wireDemo(config: MetrogateConfig, mosquitto: PrivateService, influx: PrivateService, sim: Simulator, state: string): MetrogateConfig {
  return {
    ...config,
    spool: { ...config.spool!, dir: join(state, 'spool') },
    calibration: { ...config.calibration!, recordsDir: join(state, 'records'), reportsDir: join(state, 'reports') },
    mqtt: { ...config.mqtt!, url: mosquitto.url },
    influx: { ...config.influx!, url: influx.url },
    instruments: config.instruments.map((inst) =>
      inst.protocol === 'modbus-tcp' ? { ...inst, connection: { ...inst.connection, host: '127.0.0.1', port: sim.device(inst.id).port } } : inst,
    ),
  };
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function sumDelivered(gateway: Gateway, sink: string): number {
  let n = 0;
  for (const c of gateway.pipeline.counters.values()) n += c.delivered[sink] ?? 0;
  return n;
}

/**
 * Published is not yet stored: the broker may still be handing messages to the ingest role. Counted
 * in the reading measurement itself (the ingest's points also count events and stats lines); at
 * the deadline the summary shows the shortfall and the demo exits 1.
 */
async function waitForStored(config: MetrogateConfig, influx: PrivateService, readings: number, timeoutMs: number): Promise<void> {
  const db = influxClient({ ...config.influx!, url: influx.url });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await db.query<{ count: number }>(`SELECT count("seq") AS "count" FROM "${config.influx!.measurement}"`);
    if (Number(row?.count ?? 0) >= readings) return;
    await sleep(100);
  }
}

async function summarise(config: MetrogateConfig, gateway: Gateway, influx: PrivateService): Promise<InstrumentSummary[]> {
  const db = influxClient({ ...config.influx!, url: influx.url });
  const rows = await db.query<{ instrument: string; count: number }>(
    `SELECT count("seq") AS "count" FROM "${config.influx!.measurement}" GROUP BY "instrument"`,
  );
  const written = new Map<string, number>();
  for (const g of rows.groups()) written.set(String(g.tags.instrument), Number(g.rows[0]?.count ?? 0));
  return config.instruments.map((inst) => {
    const c = gateway.pipeline.counters.get(inst.id)!;
    const state = gateway.pipeline.instrumentState(inst.id);
    return {
      instrument: inst.id,
      name: inst.name ?? inst.id,
      polled: c.polled,
      published: c.delivered.mqtt ?? 0,
      written: written.get(inst.id) ?? 0,
      notGood: c.notGood,
      cal: state?.cal,
    };
  });
}
