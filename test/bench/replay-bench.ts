/**
 * Replay scenario: 1,000,000 readings wait in the spool (a long outage of 20 instruments × 50
 * channels); the gateway starts and replays them into InfluxDB while it keeps polling live
 * instruments, along one of two paths:
 *   direct  spool → influx sink (influx.sink) → InfluxDB, in the gateway process;
 *   mqtt    spool → MQTT sink → Mosquitto → ingest role → InfluxDB.
 * Each is reported next to baselines measured in the same run, just before it, on the same
 * InfluxDB: the same points pre-rendered and posted 5,000 per request in a tight loop, one request
 * at a time (the issue's baseline) and writeConcurrency at a time (the direct sink's shape).
 *
 *   import { replayBench, printReplay } from './replay-bench.js';
 *   printReplay(await replayBench({ dist }));
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { benchProfile, channelsFor } from '../../tools/simulators/modbus/profiles.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { ensureDatabase, influxClient } from '../../gateway/influx/ensure-database.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { createLogger } from '../../gateway/log.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { encodeBatch } from '../../gateway/spool/batch-codec.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';
import { startNode, type Child } from './children.js';
import { memoryMB, ProcessMeter } from './process-meter.js';

export type ReplayPath = 'direct' | 'mqtt';

export interface ReplayOptions {
  /** Root of the build (…/dist): the gateway and the simulator run from there. */
  dist: string;
  /** Readings spooled before the gateway starts. Default 1,000,000. */
  readings?: number;
  /** Live instruments polled meanwhile (50 registers at 1 Hz each). Default 20. */
  liveDevices?: number;
  /** Paths to measure, in this order. Default: both, direct first. */
  paths?: ReplayPath[];
  /** Node options of the gateway process, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  gatewayNodeArgs?: string[];
}

export interface PathResult {
  path: ReplayPath;
  readings: number;
  replaySeconds: number;
  /** When the gateway had sent everything from the spool (mqtt: acknowledged by the broker; direct: the last requests under way). */
  dispatchedSeconds: number;
  replayPerS: number;
  /** Pre-built 5,000-line requests, one at a time (the issue's baseline). */
  baselinePerS: number;
  /** The same, writeConcurrency requests at a time (what the direct sink does). */
  baselineConcurrentPerS: number;
  writeConcurrency: number;
  /** replayPerS / baselinePerS; the target is ≥ 0.8. */
  ratio: number;
  ratioConcurrent: number;
  /** Live readings stored per second during the replay (expected: liveDevices × 50). */
  livePerS: number;
  liveExpectedPerS: number;
  gatewayCore: number;
  gatewayPeakRssMB: number;
  /** The gateway's RSS every 2 s from the start of the replay, MB: bounded memory shows as a plateau. */
  gatewayRssMB: number[];
  /** CPU of the others during the replay (core shares): where the time goes on a 2-core box. */
  ingestCore: number;
  influxCore: number;
  brokerCore: number;
  /** The spool file's size before the replay. */
  spoolMB: number;
  stored: number;
  /** Readings refused by InfluxDB (dropped by the ingest or rejected by the sink); anything but 0 is a loss to fix. */
  rejected: number;
}

const ARCHIVE_SITE = 'archive';
const INSTRUMENTS = 20;
const CHANNELS = 50;
const LINES_PER_REQUEST = 5000;
const WRITE_CONCURRENCY = 2;
const cal = Object.freeze({ status: 'valid' as const, certificate: 'BENCH-CAL', due: '2027-01-01', daysToDue: 30, traceable: true });

/** Poll cycle `i` of the archive: instrument i % 20, one second apart per instrument, two days ago. */
function archiveBatch(i: number, t0: number): ReadingBatch {
  const instrument = `archive-${i % INSTRUMENTS}`;
  const cycle = Math.floor(i / INSTRUMENTS);
  const readings: Reading[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const v = 10_000 + ((cycle * 7 + c * 13) % 1000);
    readings.push({
      site: ARCHIVE_SITE,
      instrument,
      channel: `r${String(c).padStart(3, '0')}`,
      quantity: 'signal',
      unit: '',
      ts: t0 + cycle * 1000,
      seq: cycle * CHANNELS + c + 1,
      raw: v,
      value: v,
      quality: 'good',
      cal,
    });
  }
  return { site: ARCHIVE_SITE, instrument, readings };
}

/**
 * Baseline: the same points, rendered beforehand (the renderer is the one both paths use), posted
 * 5,000 per request in a tight loop, `concurrency` requests at a time, into a fresh database.
 */
async function baseline(url: string, database: string, readings: number, t0: number, concurrency: number): Promise<number> {
  await ensureDatabase({ url, database });
  const renderer = new LineProtocolRenderer('reading');
  const chunks: string[][] = [];
  let lines: string[] = [];
  for (let i = 0; i * CHANNELS < readings; i++) {
    renderer.render(archiveBatch(i, t0), lines);
    if (lines.length >= LINES_PER_REQUEST) {
      chunks.push(lines);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines);
  const writer = new InfluxWriter({ url, database }, concurrency);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) await writer.write(chunks[next++]!);
    }),
  );
  const perS = readings / ((performance.now() - start) / 1000);
  writer.close();
  return perS;
}

/** Fills the spool the gateway will open, as an outage of readings/50 poll cycles would have, for `consumer` only. */
function fillSpool(dir: string, consumer: string, readings: number, t0: number): void {
  const spool = new SqliteSpool({ dir, consumers: [consumer] });
  const batches = Math.ceil(readings / CHANNELS);
  for (let i = 0; i < batches; i += 500) {
    const inputs = [];
    for (let j = i; j < Math.min(i + 500, batches); j++) {
      const b = archiveBatch(j, t0);
      inputs.push({ instrument: b.instrument, count: b.readings.length, lastSeq: b.readings.at(-1)!.seq, payload: encodeBatch(b) });
    }
    spool.append(inputs, t0);
  }
  spool.close();
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`replay bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function countPoints(url: string, database: string, where: string): Promise<number> {
  const rows = await influxClient({ url, database }).query<{ n: number }>(`SELECT count("seq") AS "n" FROM "reading" WHERE ${where}`);
  return Number(rows[0]?.n ?? 0);
}

interface Servers {
  mosquitto: PrivateService;
  influx: PrivateService;
}

async function measurePath(path: ReplayPath, servers: Servers, opts: Required<ReplayOptions>, t0: number): Promise<PathResult> {
  const { readings, liveDevices, dist } = opts;
  const { mosquitto, influx } = servers;
  const database = `replay_${path}`;
  const dir = mkdtempSync(join(tmpdir(), `metrogate-replay-bench-${path}-`));
  const log = createLogger('warn', { pretty: false });
  const children: Child[] = [];
  const ingests: Gateway[] = [];
  try {
    console.error(`replay bench (${path}): baselines ...`);
    const baselinePerS = await baseline(influx.url, `baseline_${path}`, readings, t0, 1);
    const baselineConcurrentPerS = await baseline(influx.url, `baseline_${path}_c`, readings, t0, WRITE_CONCURRENCY);
    // Gone before the replay, so that InfluxDB is not compacting their 2,000,000 points meanwhile.
    for (const db of [`baseline_${path}`, `baseline_${path}_c`]) await influxClient({ url: influx.url, database: db }).dropDatabase(db);

    const spoolRoot = join(dir, 'spool');
    mkdirSync(join(spoolRoot, 'bench'), { recursive: true });
    fillSpool(join(spoolRoot, 'bench'), path === 'direct' ? 'influx' : 'mqtt', readings, t0);
    const spoolMB = statSync(join(spoolRoot, 'bench', 'spool.sqlite')).size / 1048576;
    await ensureDatabase({ url: influx.url, database });

    if (path === 'mqtt') {
      // Two ingesters in this process: one takes the replayed site (measured), one the live site.
      const ingestConfig = (site: string, id: string): MetrogateConfig =>
        parseConfig(
          stringify({
            site,
            gateway: { id, logLevel: 'warn' },
            mqtt: { url: mosquitto.url },
            influx: { url: influx.url, database },
            ingest: { enabled: true, sites: [site] },
          }),
          join(dir, `${id}.yaml`),
          {},
        );
      for (const [site, id] of [
        [ARCHIVE_SITE, 'replay-ingest'],
        ['bench', 'live-ingest'],
      ] as const) {
        const g = buildGateway(ingestConfig(site, id), log, { drivers: false, ingest: true });
        await g.start();
        ingests.push(g);
      }
    }
    const archive = ingests[0]?.ingest?.stats;

    const sim = startNode(join(dist, 'tools/simulators/modbus/main.js'), ['--bench', String(liveDevices), '--base-port', '0', '--registers', String(CHANNELS)]);
    children.push(sim);
    const ready = (await sim.waitFor((l) => l.ready === true)) as { devices: { id: string; port: number; unitId: number }[] };
    const gwFile = join(dir, 'gateway.yaml');
    writeFileSync(
      gwFile,
      stringify({
        site: 'bench',
        gateway: { id: 'replay-gw', logLevel: 'info' },
        mqtt: { url: mosquitto.url },
        ...(path === 'direct'
          ? { influx: { url: influx.url, database, batchSize: LINES_PER_REQUEST, writeConcurrency: WRITE_CONCURRENCY, sink: { enabled: true } } }
          : {}),
        api: { enabled: false },
        spool: { dir: spoolRoot },
        instruments: ready.devices.map((d) => ({
          id: d.id,
          protocol: 'modbus-tcp',
          connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId, timeoutMs: 1000 },
          pollIntervalMs: 1000,
          channels: channelsFor(benchProfile(CHANNELS)),
        })),
      }),
    );
    const gw = startNode(join(dist, 'gateway/cli/main.js'), ['run', '--config', gwFile], opts.gatewayNodeArgs);
    children.push(gw);
    const sinkName = path === 'direct' ? 'influx' : 'mqtt';
    const meter = new ProcessMeter(gw.pid);
    const others = { ingest: new ProcessMeter(process.pid), influx: new ProcessMeter(influx.pid), broker: new ProcessMeter(mosquitto.pid) };
    meter.begin();
    for (const m of Object.values(others)) m.begin();
    // From the gateway's own "replaying" log line (its pino time), not from the process start.
    const replaying = await gw.waitFor((l) => l.msg === 'replaying the spool' && l.sink === sinkName, 60_000);
    const start = Number(replaying.time);
    const rssTimeline: number[] = [];
    const rssTimer = setInterval(() => rssTimeline.push(Math.round(memoryMB(gw.pid).rss)), 2000);
    const archiveWhere = `"site" = '${ARCHIVE_SITE}'`;
    let end = 0;
    const stored = async (): Promise<boolean> => {
      if (archive) {
        if (archive.points + archive.rejectedPoints < readings) return false;
        end = Date.now();
        return true;
      }
      // Direct: the gateway says when it has sent everything; then InfluxDB is asked (a count costs it CPU).
      if (!gw.logs.some((l) => l.msg === 'spool replay caught up' && l.sink === sinkName)) return false;
      const asked = Date.now();
      if ((await countPoints(influx.url, database, archiveWhere)) < readings) return false;
      end = asked;
      return true;
    };
    const progress = setInterval(
      () => console.error(`replay bench (${path}): ${archive ? `${archive.points} of ${readings} replayed readings in InfluxDB` : 'replaying'}`),
      5000,
    );
    try {
      await waitFor(stored, 30 * 60_000, `${readings} replayed readings in InfluxDB`);
    } catch (err) {
      console.error(
        gw.logs
          .slice(-20)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
      throw err;
    } finally {
      clearInterval(progress);
      clearInterval(rssTimer);
    }
    const replaySeconds = (end - start) / 1000;
    const use = meter.end();
    const [ingestUse, influxUse, brokerUse] = [others.ingest.end(), others.influx.end(), others.broker.end()];
    // Live readings of the replay's window that were stored by its end.
    const live = await countPoints(influx.url, database, `"site" = 'bench' AND time >= ${start}ms AND time <= ${end}ms`);
    const caughtUp = gw.logs.find((l) => l.msg === 'spool replay caught up' && l.sink === sinkName);
    const dispatchedSeconds = caughtUp ? (Number(caughtUp.time) - start) / 1000 : NaN;
    await gw.stop('SIGTERM');
    const storedArchive = await countPoints(influx.url, database, archiveWhere);
    await influxClient({ url: influx.url, database }).dropDatabase(database);
    const rejectedLog = gw.logs
      .filter((l) => l.msg === 'sink refused a batch as malformed: dropped, not retried')
      .reduce((n, l) => n + Number(l.readings ?? 0), 0);

    const replayPerS = readings / replaySeconds;
    return {
      path,
      readings,
      replaySeconds,
      dispatchedSeconds,
      replayPerS,
      baselinePerS,
      baselineConcurrentPerS,
      writeConcurrency: WRITE_CONCURRENCY,
      ratio: replayPerS / baselinePerS,
      ratioConcurrent: replayPerS / baselineConcurrentPerS,
      livePerS: live / replaySeconds,
      liveExpectedPerS: liveDevices * CHANNELS,
      gatewayCore: use.coreShare,
      gatewayPeakRssMB: use.peakRssMB,
      gatewayRssMB: rssTimeline,
      ingestCore: path === 'mqtt' ? ingestUse.coreShare : 0,
      influxCore: influxUse.coreShare,
      brokerCore: brokerUse.coreShare,
      spoolMB,
      stored: storedArchive,
      rejected: archive ? archive.rejectedPoints : rejectedLog,
    };
  } finally {
    for (const c of children.reverse()) await c.stop('SIGTERM');
    for (const g of ingests) await g.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function replayBench(opts: ReplayOptions): Promise<PathResult[]> {
  const full: Required<ReplayOptions> = {
    dist: opts.dist,
    readings: opts.readings ?? 1_000_000,
    liveDevices: opts.liveDevices ?? 20,
    paths: opts.paths ?? ['direct', 'mqtt'],
    gatewayNodeArgs: opts.gatewayNodeArgs ?? [],
  };
  const t0 = Date.now() - 2 * 86_400_000;
  const [mosquitto, influx] = await Promise.all([startMosquitto({ extraConfig: ['max_inflight_messages 100', 'max_queued_messages 0'] }), startInfluxDB()]);
  try {
    const results: PathResult[] = [];
    for (const path of full.paths) results.push(await measurePath(path, { mosquitto, influx }, full, t0));
    return results;
  } finally {
    await Promise.allSettled([mosquitto.stop(), influx.stop()]);
  }
}

const ROUTE: Record<ReplayPath, string> = {
  direct: 'spool → influx sink → InfluxDB',
  mqtt: 'spool → MQTT → Mosquitto → ingest → InfluxDB',
};

export function printReplay(results: PathResult[]): void {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const r0 = results[0];
  if (!r0) return;
  console.log(
    `\nSpool replay: ${r0.readings.toLocaleString('en')} spooled readings (${f(r0.spoolMB)} MB of spool) into InfluxDB, ${r0.liveExpectedPerS} live readings/s polled meanwhile`,
  );
  console.log(
    `baselines (same run, just before each path, no gateway running): pre-built 5,000-line requests in a tight loop, 1 at a time | ${r0.writeConcurrency} at a time (the direct sink's writeConcurrency)`,
  );
  console.log(
    '| path | replay readings/s | baseline 1 at a time | ratio | baseline ' +
      r0.writeConcurrency +
      ' at a time | ratio | replay time | live readings/s (expected) | gateway core | gateway peak RSS | stored |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const stored = r.stored === r.readings ? 'all' : `${r.stored} of ${r.readings} (${r.rejected} refused by InfluxDB)`;
    console.log(
      `| ${ROUTE[r.path]} | ${f(r.replayPerS)} | ${f(r.baselinePerS)} | ${f(r.ratio * 100)} % | ${f(r.baselineConcurrentPerS)} | ${f(r.ratioConcurrent * 100)} % | ${f(r.replaySeconds, 1)} s (dispatched in ${f(r.dispatchedSeconds, 1)} s) | ${f(r.livePerS)} (${f(r.liveExpectedPerS)}) | ${f(r.gatewayCore, 2)} | ${f(r.gatewayPeakRssMB)} MB | ${stored} |`,
    );
  }
  for (const r of results) {
    console.log(
      `${r.path}: core shares during the replay (2 cores in all): gateway ${f(r.gatewayCore, 2)}, ingest ${f(r.ingestCore, 2)}, InfluxDB ${f(r.influxCore, 2)}, Mosquitto ${f(r.brokerCore, 2)}`,
    );
    console.log(`${r.path}: gateway RSS every 2 s during the replay: ${r.gatewayRssMB.join(', ')} MB`);
  }
  console.log(JSON.stringify({ bench: 'spool-replay', results }));
}
