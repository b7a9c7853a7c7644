/**
 * `npm run bench`: N simulated Modbus TCP devices × R registers at 1 Hz → gateway → Mosquitto →
 * ingest → InfluxDB, each in its own process so that the gateway's CPU and memory are its own.
 * Prints readings/s, the gateway's (and ingest's) core share and peak RSS, skipped cycles and
 * poll-to-publish latency. Never part of `npm test`: numbers are measured, not asserted.
 *
 *   npm run bench                         200 and 1,000 devices, 60 s each
 *   npm run bench -- --devices 200 --seconds 30 --registers 50
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { packageRoot } from '../../config/write-json-schema.js';
import { benchProfile, channelsFor } from '../../tools/simulators/modbus/profiles.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { createLogger } from '../../gateway/log.js';
import { ensureInstalled } from '../../tools/private-services/ensure-installed.js';
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { startNode, type Child } from './children.js';
import { compareWritePaths } from './influx-write-paths.js';
import { fanIn, printFanIn } from './fan-in-bench.js';
import { printTagging, taggingCost } from './tagging-bench.js';
import { printReplay, replayBench, type ReplayPath } from './replay-bench.js';
import { ProcessMeter } from './process-meter.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string' },
    registers: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' },
    scenario: { type: 'string', default: 'all', description: 'tagging | modbus | fan-in | replay | influx | all' },
    /** Replay scenario: which paths (direct = influx sink, mqtt = broker + ingest), and how many spooled readings. */
    'replay-paths': { type: 'string', default: 'direct,mqtt' },
    'replay-readings': { type: 'string', default: '1000000' },
  },
});
const root = packageRoot();
const dist = (p: string) => join(root, 'dist', p);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
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

async function scenario(devices: number, registers: number, seconds: number, intervalMs: number, warmupS: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-bench-'));
  const log = createLogger('warn', { pretty: false });
  // The ingest holds PUBACKs until InfluxDB answered: let the broker send it more than 20 at once.
  const [mosquitto, influx] = await Promise.all([startMosquitto({ extraConfig: ['max_inflight_messages 1000'] }), startInfluxDB()]);
  const children: Child[] = [];
  try {
    const sim = startNode(dist('tools/simulators/modbus/main.js'), ['--bench', String(devices), '--base-port', '0', '--registers', String(registers)]);
    children.push(sim);
    const ready = (await sim.waitFor((l) => l.ready === true)) as { ports: number[]; devices: { id: string; port: number; unitId: number }[] };
    const channels = channelsFor(benchProfile(registers));
    // Two metrogate processes on one box: no HTTP API (its default port would clash).
    const base = { site: 'bench', api: { enabled: false }, mqtt: { url: mosquitto.url }, influx: { url: influx.url, database: 'bench' } };
    const gwFile = join(dir, 'gateway.yaml');
    writeFileSync(
      gwFile,
      stringify({
        ...base,
        gateway: { id: 'bench-gw', logLevel: 'info' },
        instruments: ready.devices.map((d) => ({
          id: d.id,
          protocol: 'modbus-tcp',
          connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId, timeoutMs: 1000 },
          pollIntervalMs: intervalMs,
          channels,
          calibration: { certificate: `BENCH-${d.id}`, calibrated: '2026-01-01', intervalMonths: 12 },
        })),
      }),
    );
    const inFile = join(dir, 'ingest.yaml');
    writeFileSync(inFile, stringify({ ...base, gateway: { id: 'bench-ingest', logLevel: 'info' }, ingest: { enabled: true }, instruments: [] }));

    const ingest = startNode(dist('gateway/cli/main.js'), ['run', '--config', inFile]);
    children.push(ingest);
    await ingest.waitFor((l) => l.msg === 'ingest subscribed');
    // BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the gateway process.
    const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const gw = startNode(dist('gateway/cli/main.js'), ['run', '--config', gwFile, '--no-ingest'], nodeArgs);
    children.push(gw);
    await gw.waitFor((l) => l.msg === 'metrogate started');

    const watcher = await connectAsync(mosquitto.url, { protocolVersion: 5 });
    let measuring = false;
    let readings = 0;
    const latencies: number[] = [];
    const tsPattern = /"ts":(\d+)/;
    watcher.on('message', (_topic, payload) => {
      if (!measuring) return;
      const now = Date.now();
      readings += registers;
      latencies.push(now - Number(tsPattern.exec(payload.toString('latin1'))?.[1] ?? now));
    });
    await watcher.subscribeAsync('metrogate/bench/+/+/data', { qos: 0 });

    await sleep(warmupS * 1000);
    const meters = { gw: new ProcessMeter(gw.pid), ingest: new ProcessMeter(ingest.pid), sim: new ProcessMeter(sim.pid) };
    for (const m of Object.values(meters)) m.begin();
    measuring = true;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    measuring = false;
    const window = (performance.now() - t0) / 1000;
    const gwUse = meters.gw.end();
    const ingestUse = meters.ingest.end();
    const simUse = meters.sim.end();
    await watcher.endAsync();

    await gw.stop('SIGTERM');
    const totals = gw.logs.find((l) => l.msg === 'driver totals') as { readings: number; skippedCycles: number; errors: number } | undefined;
    // Let the ingest write what it still holds, then count what landed.
    const db = influxClient({ url: influx.url, database: 'bench' });
    let written = -1;
    for (let i = 0; i < 100; i++) {
      const rows = await db.query<{ n: number }>('SELECT count("seq") AS "n" FROM "reading"');
      const n = Number(rows[0]?.n ?? 0);
      if (n === written && n >= (totals?.readings ?? 0)) break;
      written = n;
      await sleep(300);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    return {
      devices,
      readingsPerS: readings / window,
      expectedPerS: (devices * registers * 1000) / intervalMs,
      gatewayCore: gwUse.coreShare,
      gatewayUser: gwUse.userShare,
      gatewaySystem: gwUse.systemShare,
      gatewayPeakRssMB: gwUse.peakRssMB,
      ingestCore: ingestUse.coreShare,
      ingestPeakRssMB: ingestUse.peakRssMB,
      simulatorCore: simUse.coreShare,
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
    void log;
  }
}

function print(results: Result[], registers: number, seconds: number): void {
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

async function main(): Promise<void> {
  await ensureInstalled(['mosquitto', 'influxd']);
  const registers = Number(args.registers);
  const seconds = Number(args.seconds);
  const run = (name: string) => args.scenario === 'all' || args.scenario === name;
  if (run('tagging')) printTagging(taggingCost());
  if (run('modbus')) {
    const counts = args.devices ? [Number(args.devices)] : [200, 1000];
    const results: Result[] = [];
    for (const n of counts) {
      console.error(`bench: ${n} devices, ${seconds} s ...`);
      results.push(await scenario(n, registers, seconds, Number(args.interval), Number(args.warmup)));
    }
    print(results, registers, seconds);
  }
  if (run('fan-in')) {
    console.error(`bench: fan-in, 3 gateways × 100 devices → 2 ingesters, ${Math.min(seconds, 30)} s ...`);
    printFanIn(await fanIn(dist, 3, 100, 2, registers, Math.min(seconds, 30)), Math.min(seconds, 30));
  }
  if (run('replay')) {
    const paths = args['replay-paths'].split(',').map((p) => p.trim());
    const bad = paths.filter((p) => p !== 'direct' && p !== 'mqtt');
    if (bad.length > 0) throw new Error(`--replay-paths: expected direct and/or mqtt, got ${bad.join(', ')}`);
    printReplay(
      await replayBench({
        dist: join(root, 'dist'),
        readings: Number(args['replay-readings']),
        paths: paths as ReplayPath[],
        // BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the replaying gateway too.
        gatewayNodeArgs: process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      }),
    );
  }
  if (!run('influx')) return;

  const influx = await startInfluxDB();
  try {
    const paths = await compareWritePaths(influx.url);
    console.log(`\nInfluxDB write path, 200,000 points in batches of 5,000 (rendering included in the raw path):`);
    console.log(`  influx.writePoints  ${paths.writePoints.toFixed(0)} points/s`);
    console.log(`  raw line protocol   ${paths.rawPost.toFixed(0)} points/s (what the ingest role uses)`);
    console.log(JSON.stringify({ bench: 'influx-write-paths', ...paths }));
  } finally {
    await influx.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
