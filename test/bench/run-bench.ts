/**
 * `npm run bench`: N simulated Modbus TCP devices × R registers at 1 Hz → gateway → Mosquitto →
 * ingest → InfluxDB, each in its own process so that the gateway's CPU and memory are its own.
 * Prints readings/s, the gateway's (and ingest's) core share and peak RSS, skipped cycles and
 * poll-to-publish latency. Never part of `npm test`: numbers are measured, not asserted.
 *
 *   npm run bench                         200 and 1,000 devices, 60 s each
 *   npm run bench -- --devices 200 --seconds 30 --registers 50
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../config/write-json-schema.js';
import { ensureInstalled } from '../../tools/private-services/ensure-installed.js';
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { fanIn, printFanIn } from './fan-in-bench.js';
import { compareWritePaths, printWritePaths } from './influx-write-paths.js';
import { modbusScenario, printModbus, type ModbusResult } from './modbus-bench.js';
import { replayBench } from './replay-bench.js';
import { printReplay } from './replay-report.js';
import type { ReplayPath } from './replay-result.js';
import { printTagging, taggingCost } from './tagging-bench.js';

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
const registers = Number(args.registers);
const seconds = Number(args.seconds);
// BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the gateway processes.
const gatewayNodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

async function runModbus(): Promise<void> {
  const counts = args.devices ? [Number(args.devices)] : [200, 1000];
  const results: ModbusResult[] = [];
  for (const n of counts) {
    console.error(`bench: ${n} devices, ${seconds} s ...`);
    results.push(
      await modbusScenario({ dist, devices: n, registers, seconds, intervalMs: Number(args.interval), warmupS: Number(args.warmup), gatewayNodeArgs }),
    );
  }
  printModbus(results, registers, seconds);
}

async function runFanIn(): Promise<void> {
  console.error(`bench: fan-in, 3 gateways × 100 devices → 2 ingesters, ${Math.min(seconds, 30)} s ...`);
  printFanIn(await fanIn(dist, 3, 100, 2, registers, Math.min(seconds, 30)), Math.min(seconds, 30));
}

async function runReplay(): Promise<void> {
  const paths = args['replay-paths'].split(',').map((p) => p.trim());
  const bad = paths.filter((p) => p !== 'direct' && p !== 'mqtt');
  if (bad.length > 0) throw new Error(`--replay-paths: expected direct and/or mqtt, got ${bad.join(', ')}`);
  printReplay(await replayBench({ dist: join(root, 'dist'), readings: Number(args['replay-readings']), paths: paths as ReplayPath[], gatewayNodeArgs }));
}

async function runInfluxWritePaths(): Promise<void> {
  const influx = await startInfluxDB();
  try {
    printWritePaths(await compareWritePaths(influx.url));
  } finally {
    await influx.stop();
  }
}

async function main(): Promise<void> {
  await ensureInstalled(['mosquitto', 'influxd']);
  const run = (name: string) => args.scenario === 'all' || args.scenario === name;
  if (run('tagging')) printTagging(taggingCost());
  if (run('modbus')) await runModbus();
  if (run('fan-in')) await runFanIn();
  if (run('replay')) await runReplay();
  if (run('influx')) await runInfluxWritePaths();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
