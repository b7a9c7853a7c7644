/**
 * The demo lab behind its HTTP API, for the API's end-to-end tests: a gateway polling the four
 * simulated instruments (real Modbus, MQTT, InfluxDB) with known values served, its API on a free
 * port with a token, started the way the daemon starts it (API first, then the gateway).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { ReadinessSchema } from '../../gateway/api/schemas.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { apiClient, type ApiClient, type JsonResponse } from './api-client.js';
import { demoLab, type BrokerConfig } from './e2e-fixture.js';
import type { StreamEvent } from './sse-client.js';
import { until } from './until.js';
import type { Static } from '@sinclair/typebox';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const BEARER = { authorization: `Bearer ${API_TOKEN}` };

/** Exact values put on the simulated instruments (as the API must report them). */
export const SERVED: Record<string, Record<string, number | boolean | string>> = {
  'bath-01': { temperature: 23.4567, heater_power: 41.7, setpoint: 23.5, circulating: true },
  'pressure-01': { pressure: 201.234, setpoint: 200, stable: false },
  'balance-01': { mass: 99.9987, stable: true, tare: 0 },
  'dmm-01': { voltage: 10.0000123, range: 10, serial: 'MG-DMM-E2E' },
};

export interface DemoLabApi {
  config: BrokerConfig;
  sim: Simulator;
  gateway: Gateway;
  api: GatewayApi;
  client: ApiClient;
  /** GET /readyz as answered after the API started and before the gateway did. */
  readyWhileStarting: JsonResponse<Static<typeof ReadinessSchema>>;
  close(): Promise<void>;
}

function apiConfig(lab: BrokerConfig, dir: string): BrokerConfig {
  return {
    ...lab,
    api: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      token: API_TOKEN,
      trendPoints: 5,
      stream: { heartbeatMs: 200, maxClientBufferBytes: 16_384, maxClients: 4 },
    },
    // Records posted here and the spool stay in this test's own folder.
    calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
    spool: { ...DEFAULT_SPOOL, dir: join(dir, 'spool') },
  };
}

/** Starts the lab and returns once every instrument has been read at least twice. */
export async function startDemoLabApi(mqttUrl: string, influxUrl: string): Promise<DemoLabApi> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-api-'));
  const lab = await demoLab(mqttUrl, influxUrl);
  const { sim } = lab;
  for (const [id, values] of Object.entries(SERVED)) for (const [ch, v] of Object.entries(values)) sim.device(id).set(ch, v);
  const config = apiConfig(lab.config, dir);
  const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
  let api: GatewayApi | undefined;
  const close = async () => {
    await gateway.stop();
    await api?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    const client = apiClient(api.url);
    const readyWhileStarting = await client.get(ReadinessSchema, '/readyz');
    await gateway.start();
    api.running();
    const polled = () => [...gateway.pipeline.counters.values()].map((c) => c.polled);
    await until(() => polled().every((n) => n >= 2 * 4), 'two poll cycles of every instrument', { observe: polled });
    return { config, sim, gateway, api, client, readyWhileStarting, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The reading batches among a stream's events, in arrival order. */
export function readingBatches(events: StreamEvent[]): WireBatch[] {
  return events.filter((e) => e.event === 'readings').map((e) => e.data as WireBatch);
}
