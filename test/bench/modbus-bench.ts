/**
 * Modbus scenario: N simulated Modbus TCP devices × R registers → gateway → Mosquitto → ingest →
 * InfluxDB, each in its own process so that the gateway's CPU and memory are its own. Measures
 * readings/s at a subscriber, the processes' core shares and peak RSS, skipped cycles,
 * poll-to-publish latency, and whether everything polled was written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchProfile, channelsFor } from '../../tools/simulators/modbus/profiles.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { startBenchSimulator, type BenchDevice } from './bench-simulator.js';
import { startNode, type Child } from './children.js';
import { ProcessMeter } from './process-meter.js';
import { watchPublished, type PublishedWatch } from './published-watch.js';

export interface ModbusBenchOptions {
  /** Path of a built file under dist/. */
  dist: (p: string) => string;
  devices: number;
  registers: number;
  seconds: number;
  intervalMs: number;
  warmupS: number;
  /** Node options of the gateway process, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  gatewayNodeArgs: string[];
}

export interface ModbusResult {
  devices: number;
  readingsPerS: number;
  expectedPerS: number;
  gatewayCore: number;
  gatewayUser: number;
  gatewaySystem: number;
  gatewayPeakRssMB: number;
  ingestCore: number;
  ingestPeakRssMB: number;
  simulatorCore: number;
  skippedCycles: number;
  errors: number;
  latencyP50: number;
  latencyP99: number;
  written: number;
  polled: number;
}

interface Pipeline {
  sim: Child;
  ingest: Child;
  gw: Child;
}

type Usage = ReturnType<ProcessMeter['end']>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway's and the ingest's config files, polling `devices`. */
function writeConfigs(
  dir: string,
  o: ModbusBenchOptions,
  devices: BenchDevice[],
  servers: { mosquitto: PrivateService; influx: PrivateService },
): { gwFile: string; inFile: string } {
  const channels = channelsFor(benchProfile(o.registers));
  // Two metrogate processes on one box: no HTTP API (its default port would clash).
  const base = { site: 'bench', api: { enabled: false }, mqtt: { url: servers.mosquitto.url }, influx: { url: servers.influx.url, database: 'bench' } };
  const gwFile = join(dir, 'gateway.yaml');
  writeFileSync(
    gwFile,
    stringify({
      ...base,
      gateway: { id: 'bench-gw', logLevel: 'info' },
      instruments: devices.map((d) => ({
        id: d.id,
        protocol: 'modbus-tcp',
        connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId, timeoutMs: 1000 },
        pollIntervalMs: o.intervalMs,
        channels,
        calibration: { certificate: `BENCH-${d.id}`, calibrated: '2026-01-01', intervalMonths: 12 },
      })),
    }),
  );
  const inFile = join(dir, 'ingest.yaml');
  writeFileSync(inFile, stringify({ ...base, gateway: { id: 'bench-ingest', logLevel: 'info' }, ingest: { enabled: true }, instruments: [] }));
  return { gwFile, inFile };
}

/** Simulator, then ingest, then gateway, each started once the one before is ready. */
async function startPipeline(
  dir: string,
  o: ModbusBenchOptions,
  servers: { mosquitto: PrivateService; influx: PrivateService },
  children: Child[],
): Promise<Pipeline> {
  const { sim, devices } = await startBenchSimulator(o.dist('tools/simulators/modbus/main.js'), o.devices, o.registers, children);
  const { gwFile, inFile } = writeConfigs(dir, o, devices, servers);
  const ingest = startNode(o.dist('gateway/cli/main.js'), ['run', '--config', inFile]);
  children.push(ingest);
  await ingest.waitFor((l) => l.msg === 'ingest subscribed');
  const gw = startNode(o.dist('gateway/cli/main.js'), ['run', '--config', gwFile, '--no-ingest'], o.gatewayNodeArgs);
  children.push(gw);
  await gw.waitFor((l) => l.msg === 'metrogate started');
  return { sim, ingest, gw };
}

/** CPU and memory of the three processes, and the published readings, over `seconds`. */
async function measureWindow(p: Pipeline, watch: PublishedWatch, seconds: number): Promise<{ window: number; gw: Usage; ingest: Usage; sim: Usage }> {
  const meters = { gw: new ProcessMeter(p.gw.pid), ingest: new ProcessMeter(p.ingest.pid), sim: new ProcessMeter(p.sim.pid) };
  for (const m of Object.values(meters)) m.begin();
  watch.start();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  watch.stop();
  const window = (performance.now() - t0) / 1000;
  return { window, gw: meters.gw.end(), ingest: meters.ingest.end(), sim: meters.sim.end() };
}

/** Lets the ingest write what it still holds, then counts what landed (-1: never counted). */
async function countWritten(influxUrl: string, polled: number): Promise<number> {
  const db = influxClient({ url: influxUrl, database: 'bench' });
  let written = -1;
  for (let i = 0; i < 100; i++) {
    const rows = await db.query<{ n: number }>('SELECT count("seq") AS "n" FROM "reading"');
    const n = Number(rows[0]?.n ?? 0);
    if (n === written && n >= polled) break;
    written = n;
    await sleep(300);
  }
  return written;
}

export async function modbusScenario(o: ModbusBenchOptions): Promise<ModbusResult> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-bench-'));
  // The ingest holds PUBACKs until InfluxDB answered: let the broker send it more than 20 at once.
  const [mosquitto, influx] = await Promise.all([startMosquitto({ extraConfig: ['max_inflight_messages 1000'] }), startInfluxDB()]);
  const children: Child[] = [];
  try {
    const pipeline = await startPipeline(dir, o, { mosquitto, influx }, children);
    const watch = await watchPublished(mosquitto.url, 'metrogate/bench/+/+/data', o.registers);
    await sleep(o.warmupS * 1000);
    const use = await measureWindow(pipeline, watch, o.seconds);
    await watch.end();
    await pipeline.gw.stop('SIGTERM');
    const totals = pipeline.gw.logs.find((l) => l.msg === 'driver totals') as { readings: number; skippedCycles: number; errors: number } | undefined;
    const written = await countWritten(influx.url, totals?.readings ?? 0);
    const pct = watch.percentile;
    return {
      devices: o.devices,
      readingsPerS: watch.readings() / use.window,
      expectedPerS: (o.devices * o.registers * 1000) / o.intervalMs,
      gatewayCore: use.gw.coreShare,
      gatewayUser: use.gw.userShare,
      gatewaySystem: use.gw.systemShare,
      gatewayPeakRssMB: use.gw.peakRssMB,
      ingestCore: use.ingest.coreShare,
      ingestPeakRssMB: use.ingest.peakRssMB,
      simulatorCore: use.sim.coreShare,
      skippedCycles: totals?.skippedCycles ?? NaN,
      errors: totals?.errors ?? NaN,
      latencyP50: pct(0.5),
      latencyP99: pct(0.99),
      written,
      polled: totals?.readings ?? NaN,
    };
  } finally {
    for (const c of children.reverse()) await c.stop('SIGTERM');
    await Promise.allSettled([mosquitto.stop(), influx.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printModbus(results: ModbusResult[], registers: number, seconds: number): void {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`\nmetrogate bench: Modbus TCP × ${registers} registers at 1 Hz → MQTT → ingest → InfluxDB, ${seconds} s measured per row`);
  console.log(
    '| devices | readings/s (expected) | gateway core | gateway peak RSS | ingest core | ingest peak RSS | skipped cycles | errors | poll→publish p50 / p99 | polled = written |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|');
  for (const r of results) {
    console.log(
      `| ${r.devices} | ${f(r.readingsPerS)} (${f(r.expectedPerS)}) | ${f(r.gatewayCore, 3)} (user ${f(r.gatewayUser, 3)}, sys ${f(r.gatewaySystem, 3)}) | ${f(r.gatewayPeakRssMB)} MB | ${f(r.ingestCore, 3)} | ${f(r.ingestPeakRssMB)} MB | ${r.skippedCycles} | ${r.errors} | ${f(r.latencyP50)} / ${f(r.latencyP99)} ms | ${r.polled === r.written ? 'yes' : `no (${r.polled} vs ${r.written})`} |`,
    );
  }
  console.log(`simulator core share: ${results.map((r) => `${r.devices} devices ${f(r.simulatorCore, 2)}`).join(', ')} (separate process, not counted above)`);
  console.log(JSON.stringify({ bench: 'modbus-fan-in', registers, seconds, results }));
}
