/**
 * Fan-in: K gateway processes (D simulated devices × R registers at 1 Hz each) → one Mosquitto →
 * M ingest processes in one shared subscription group → InfluxDB. Reports end-to-end readings/s
 * into InfluxDB, each ingester's share, and ingest CPU per 10k readings/s.
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

export interface FanInResult {
  gateways: number;
  devicesPerGateway: number;
  ingesters: number;
  offeredPerS: number;
  storedPerS: number;
  perIngester: { readingsPerS: number; core: number; corePer10k: number; peakRssMB: number }[];
  /** Mosquitto's and InfluxDB's own CPU over the window, for the capacity model. */
  brokerCore: number;
  brokerMsgsPerS: number;
  influxCore: number;
}

interface FanInShape {
  dist: (p: string) => string;
  /** Gateways, devices per gateway, ingesters, registers per device. */
  k: number;
  devices: number;
  m: number;
  registers: number;
}

type Usage = ReturnType<ProcessMeter['end']>;

interface Window {
  seconds: number;
  stored: number;
  ingesters: Usage[];
  broker: Usage;
  influx: Usage;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the M ingesters, then the K gateways, each once ready; returns the ingesters. */
async function startProcesses(
  shape: FanInShape,
  dir: string,
  servers: { mosquitto: PrivateService; influx: PrivateService },
  devices: BenchDevice[],
  children: Child[],
): Promise<Child[]> {
  const { dist, k, m, registers } = shape;
  const channels = channelsFor(benchProfile(registers));
  const base = { site: 'fanin', api: { enabled: false }, mqtt: { url: servers.mosquitto.url }, influx: { url: servers.influx.url, database: 'fanin' } };
  const write = (name: string, body: object) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({ ...base, ...body, spool: { dir: join(dir, `spool-${name}`) } }));
    return file;
  };
  const ingesters: Child[] = [];
  for (let j = 0; j < m; j++) {
    const c = startNode(dist('gateway/cli/main.js'), [
      'run',
      '--config',
      write(`ingest-${j}`, { gateway: { id: `ingest-${j}`, logLevel: 'info' }, ingest: { enabled: true, group: 'ingest' }, instruments: [] }),
    ]);
    children.push(c);
    ingesters.push(c);
    await c.waitFor((l) => l.msg === 'ingest subscribed');
  }
  for (let g = 0; g < k; g++) {
    const mine = devices.slice(g * shape.devices, (g + 1) * shape.devices);
    const c = startNode(dist('gateway/cli/main.js'), [
      'run',
      '--no-ingest',
      '--config',
      write(`gw-${g}`, {
        gateway: { id: `gw-${g}`, logLevel: 'info' },
        instruments: mine.map((d) => ({ id: d.id, protocol: 'modbus-tcp', connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId }, channels })),
      }),
    ]);
    children.push(c);
    await c.waitFor((l) => l.msg === 'metrogate started');
  }
  return ingesters;
}

/** Points stored and the CPU of ingesters, broker and InfluxDB over `seconds`. */
async function measureWindow(ingesters: Child[], servers: { mosquitto: PrivateService; influx: PrivateService }, seconds: number): Promise<Window> {
  const db = influxClient({ url: servers.influx.url, database: 'fanin' });
  const count = async () => Number((await db.query<{ n: number }>('SELECT count("seq") AS "n" FROM "reading"'))[0]?.n ?? 0);
  const meters = ingesters.map((c) => new ProcessMeter(c.pid));
  meters.forEach((mt) => mt.begin());
  const brokerMeter = new ProcessMeter(servers.mosquitto.pid);
  const influxMeter = new ProcessMeter(servers.influx.pid);
  brokerMeter.begin();
  influxMeter.begin();
  const n0 = await count();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const n1 = await count();
  const window = (performance.now() - t0) / 1000;
  return { seconds: window, stored: n1 - n0, ingesters: meters.map((mt) => mt.end()), broker: brokerMeter.end(), influx: influxMeter.end() };
}

/** Each ingester's share of the stored readings, from the totals it logs when it stops. */
function resultOf(shape: FanInShape, w: Window, ingestTotals: number[]): FanInResult {
  const all = ingestTotals.reduce((a, b) => a + b, 0) || 1;
  const storedPerS = w.stored / w.seconds;
  return {
    gateways: shape.k,
    devicesPerGateway: shape.devices,
    ingesters: shape.m,
    offeredPerS: shape.k * shape.devices * shape.registers,
    storedPerS,
    // Every batch of `registers` readings passes the broker twice: in from a gateway, out to an ingester.
    brokerCore: w.broker.coreShare,
    brokerMsgsPerS: (2 * storedPerS) / shape.registers,
    influxCore: w.influx.coreShare,
    perIngester: w.ingesters.map((u, j) => {
      const readingsPerS = storedPerS * (ingestTotals[j]! / all);
      return { readingsPerS, core: u.coreShare, corePer10k: u.coreShare / Math.max(readingsPerS / 10_000, 1e-9), peakRssMB: u.peakRssMB };
    }),
  };
}

export async function fanIn(dist: (p: string) => string, k: number, devices: number, m: number, registers: number, seconds: number): Promise<FanInResult> {
  const shape: FanInShape = { dist, k, devices, m, registers };
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-fanin-'));
  const [mosquitto, influx] = await Promise.all([startMosquitto({ extraConfig: ['max_inflight_messages 1000'] }), startInfluxDB()]);
  const children: Child[] = [];
  try {
    const sim = await startBenchSimulator(dist('tools/simulators/modbus/main.js'), k * devices, registers, children);
    const ingesters = await startProcesses(shape, dir, { mosquitto, influx }, sim.devices, children);
    await sleep(5000);
    const window = await measureWindow(ingesters, { mosquitto, influx }, seconds);
    for (const c of children.slice(1 + m)) await c.stop('SIGTERM');
    for (const c of ingesters) await c.stop('SIGTERM');
    const totals = ingesters.map((c) => (c.logs.find((l) => l.msg === 'ingest totals') as { points?: number } | undefined)?.points ?? 0);
    return resultOf(shape, window, totals);
  } finally {
    for (const c of children.reverse()) await c.stop('SIGTERM');
    await Promise.allSettled([mosquitto.stop(), influx.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printFanIn(r: FanInResult, seconds: number): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log(`\nfan-in: ${r.gateways} gateways × ${r.devicesPerGateway} devices → Mosquitto → ${r.ingesters} ingesters ($share) → InfluxDB, ${seconds} s`);
  console.log(`  offered ${f(r.offeredPerS)} readings/s, stored ${f(r.storedPerS)} readings/s end to end`);
  console.log(`  Mosquitto ${f(r.brokerCore, 3)} core for ${f(r.brokerMsgsPerS)} messages/s (in + out); InfluxDB ${f(r.influxCore, 3)} core`);
  console.log('| ingester | readings/s (share) | core | core per 10k readings/s | peak RSS |');
  console.log('|---:|---:|---:|---:|---:|');
  r.perIngester.forEach((p, j) => console.log(`| ${j} | ${f(p.readingsPerS)} | ${f(p.core, 3)} | ${f(p.corePer10k, 3)} | ${f(p.peakRssMB)} MB |`));
  console.log(JSON.stringify({ bench: 'fan-in', seconds, ...r }));
}
