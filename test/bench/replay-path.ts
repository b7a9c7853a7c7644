/**
 * One replay path measured end to end: baselines on the same InfluxDB, the spool filled, the
 * gateway started on it with live instruments beside, and the time until InfluxDB holds every
 * spooled reading, with the CPU and memory it cost.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { ensureDatabase, influxClient } from '../../gateway/influx/ensure-database.js';
import { createLogger } from '../../gateway/log.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { benchProfile, channelsFor } from '../../tools/simulators/modbus/profiles.js';
import { startBenchSimulator } from './bench-simulator.js';
import { startNode, type Child } from './children.js';
import { memoryMB, ProcessMeter } from './process-meter.js';
import { ARCHIVE_SITE, CHANNELS, fillSpool } from './replay-archive.js';
import { baseline, LINES_PER_REQUEST } from './replay-baseline.js';
import type { PathResult, ReplayPath } from './replay-result.js';

export const WRITE_CONCURRENCY = 2;

export interface PathOptions {
  dist: string;
  readings: number;
  liveDevices: number;
  gatewayNodeArgs: string[];
}

export interface Servers {
  mosquitto: PrivateService;
  influx: PrivateService;
}

/** One path's run: where it writes and what it replays. */
interface PathRun {
  path: ReplayPath;
  opts: PathOptions;
  servers: Servers;
  /** The database the replay (and the live readings) go to. */
  database: string;
  /** The sink that replays: the gateway's log lines name it. */
  sinkName: 'influx' | 'mqtt';
  dir: string;
  t0: number;
}

type Usage = ReturnType<ProcessMeter['end']>;

interface Replayed {
  /** Pino times: the gateway's "replaying" line, and when InfluxDB held everything. */
  start: number;
  end: number;
  rssTimeline: number[];
  gateway: Usage;
  ingest: Usage;
  influx: Usage;
  broker: Usage;
}

const ARCHIVE_WHERE = `"site" = '${ARCHIVE_SITE}'`;

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

/** The two baselines (databases dropped again), then the spool and the replay's database. */
async function prepare(run: PathRun): Promise<{ baselinePerS: number; baselineConcurrentPerS: number; spoolRoot: string; spoolMB: number }> {
  const { path, opts, servers, t0 } = run;
  console.error(`replay bench (${path}): baselines ...`);
  const baselinePerS = await baseline(servers.influx.url, `baseline_${path}`, opts.readings, t0, 1);
  const baselineConcurrentPerS = await baseline(servers.influx.url, `baseline_${path}_c`, opts.readings, t0, WRITE_CONCURRENCY);
  // Gone before the replay, so that InfluxDB is not compacting their 2,000,000 points meanwhile.
  for (const db of [`baseline_${path}`, `baseline_${path}_c`]) await influxClient({ url: servers.influx.url, database: db }).dropDatabase(db);

  const spoolRoot = join(run.dir, 'spool');
  mkdirSync(join(spoolRoot, 'bench'), { recursive: true });
  fillSpool(join(spoolRoot, 'bench'), run.sinkName, opts.readings, t0);
  const spoolMB = statSync(join(spoolRoot, 'bench', 'spool.sqlite')).size / 1048576;
  await ensureDatabase({ url: servers.influx.url, database: run.database });
  return { baselinePerS, baselineConcurrentPerS, spoolRoot, spoolMB };
}

/** mqtt path: two ingesters in this process, one takes the replayed site (measured), one the live site. */
async function startIngests(run: PathRun, log: Logger, ingests: Gateway[]): Promise<void> {
  const { mosquitto, influx } = run.servers;
  const ingestConfig = (site: string, id: string): MetrogateConfig =>
    parseConfig(
      stringify({
        site,
        gateway: { id, logLevel: 'warn' },
        mqtt: { url: mosquitto.url },
        influx: { url: influx.url, database: run.database },
        ingest: { enabled: true, sites: [site] },
      }),
      join(run.dir, `${id}.yaml`),
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

/** The live simulator and the gateway that polls it and replays the spool under `spoolRoot`. */
async function startGateway(run: PathRun, spoolRoot: string, children: Child[]): Promise<Child> {
  const { path, opts, servers } = run;
  const { devices } = await startBenchSimulator(join(opts.dist, 'tools/simulators/modbus/main.js'), opts.liveDevices, CHANNELS, children);
  const gwFile = join(run.dir, 'gateway.yaml');
  writeFileSync(
    gwFile,
    stringify({
      site: 'bench',
      gateway: { id: 'replay-gw', logLevel: 'info' },
      mqtt: { url: servers.mosquitto.url },
      ...(path === 'direct'
        ? {
            influx: {
              url: servers.influx.url,
              database: run.database,
              batchSize: LINES_PER_REQUEST,
              writeConcurrency: WRITE_CONCURRENCY,
              sink: { enabled: true },
            },
          }
        : {}),
      api: { enabled: false },
      spool: { dir: spoolRoot },
      instruments: devices.map((d) => ({
        id: d.id,
        protocol: 'modbus-tcp',
        connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId, timeoutMs: 1000 },
        pollIntervalMs: 1000,
        channels: channelsFor(benchProfile(CHANNELS)),
      })),
    }),
  );
  const gw = startNode(join(opts.dist, 'gateway/cli/main.js'), ['run', '--config', gwFile], opts.gatewayNodeArgs);
  children.push(gw);
  return gw;
}

/**
 * Whether InfluxDB holds every replayed reading yet; `end()` is when that was first seen. mqtt: the
 * measured ingester's own count. Direct: the gateway says when it has sent everything; then
 * InfluxDB is asked (a count costs it CPU).
 */
function replayStored(
  run: PathRun,
  gw: Child,
  archive: { points: number; rejectedPoints: number } | undefined,
): { check: () => Promise<boolean>; end: () => number } {
  const { readings } = run.opts;
  let end = 0;
  const check = async (): Promise<boolean> => {
    if (archive) {
      if (archive.points + archive.rejectedPoints < readings) return false;
      end = Date.now();
      return true;
    }
    if (!gw.logs.some((l) => l.msg === 'spool replay caught up' && l.sink === run.sinkName)) return false;
    const asked = Date.now();
    if ((await countPoints(run.servers.influx.url, run.database, ARCHIVE_WHERE)) < readings) return false;
    end = asked;
    return true;
  };
  return { check, end: () => end };
}

/** From the gateway's "replaying" line until InfluxDB holds every spooled reading, metered. */
async function awaitReplay(run: PathRun, gw: Child, archive: { points: number; rejectedPoints: number } | undefined): Promise<Replayed> {
  const { path, servers, opts } = run;
  const meter = new ProcessMeter(gw.pid);
  const others = { ingest: new ProcessMeter(process.pid), influx: new ProcessMeter(servers.influx.pid), broker: new ProcessMeter(servers.mosquitto.pid) };
  meter.begin();
  for (const m of Object.values(others)) m.begin();
  // From the gateway's own "replaying" log line (its pino time), not from the process start.
  const replaying = await gw.waitFor((l) => l.msg === 'replaying the spool' && l.sink === run.sinkName, 60_000);
  const start = Number(replaying.time);
  const rssTimeline: number[] = [];
  const rssTimer = setInterval(() => rssTimeline.push(Math.round(memoryMB(gw.pid).rss)), 2000);
  const stored = replayStored(run, gw, archive);
  const progress = setInterval(
    () => console.error(`replay bench (${path}): ${archive ? `${archive.points} of ${opts.readings} replayed readings in InfluxDB` : 'replaying'}`),
    5000,
  );
  try {
    await waitFor(stored.check, 30 * 60_000, `${opts.readings} replayed readings in InfluxDB`);
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
  const gateway = meter.end();
  const [ingest, influx, broker] = [others.ingest.end(), others.influx.end(), others.broker.end()];
  return { start, end: stored.end(), rssTimeline, gateway, ingest, influx, broker };
}

/** After the replay: the live readings of its window, what was stored and refused; the gateway stopped, the database dropped. */
async function collect(run: PathRun, gw: Child, r: Replayed): Promise<{ live: number; dispatchedSeconds: number; stored: number; rejectedLog: number }> {
  const { url } = run.servers.influx;
  // Live readings of the replay's window that were stored by its end.
  const live = await countPoints(url, run.database, `"site" = 'bench' AND time >= ${r.start}ms AND time <= ${r.end}ms`);
  const caughtUp = gw.logs.find((l) => l.msg === 'spool replay caught up' && l.sink === run.sinkName);
  const dispatchedSeconds = caughtUp ? (Number(caughtUp.time) - r.start) / 1000 : NaN;
  await gw.stop('SIGTERM');
  const stored = await countPoints(url, run.database, ARCHIVE_WHERE);
  await influxClient({ url, database: run.database }).dropDatabase(run.database);
  const rejectedLog = gw.logs
    .filter((l) => l.msg === 'sink refused a batch as malformed: dropped, not retried')
    .reduce((n, l) => n + Number(l.readings ?? 0), 0);
  return { live, dispatchedSeconds, stored, rejectedLog };
}

export async function measurePath(path: ReplayPath, servers: Servers, opts: PathOptions, t0: number): Promise<PathResult> {
  const dir = mkdtempSync(join(tmpdir(), `metrogate-replay-bench-${path}-`));
  const run: PathRun = { path, opts, servers, database: `replay_${path}`, sinkName: path === 'direct' ? 'influx' : 'mqtt', dir, t0 };
  const log = createLogger('warn', { pretty: false });
  const children: Child[] = [];
  const ingests: Gateway[] = [];
  try {
    const prepared = await prepare(run);
    if (path === 'mqtt') await startIngests(run, log, ingests);
    const archive = ingests[0]?.ingest?.stats;
    const gw = await startGateway(run, prepared.spoolRoot, children);
    const replayed = await awaitReplay(run, gw, archive);
    const after = await collect(run, gw, replayed);
    const replaySeconds = (replayed.end - replayed.start) / 1000;
    const replayPerS = opts.readings / replaySeconds;
    return {
      path,
      readings: opts.readings,
      replaySeconds,
      dispatchedSeconds: after.dispatchedSeconds,
      replayPerS,
      baselinePerS: prepared.baselinePerS,
      baselineConcurrentPerS: prepared.baselineConcurrentPerS,
      writeConcurrency: WRITE_CONCURRENCY,
      ratio: replayPerS / prepared.baselinePerS,
      ratioConcurrent: replayPerS / prepared.baselineConcurrentPerS,
      livePerS: after.live / replaySeconds,
      liveExpectedPerS: opts.liveDevices * CHANNELS,
      gatewayCore: replayed.gateway.coreShare,
      gatewayPeakRssMB: replayed.gateway.peakRssMB,
      gatewayRssMB: replayed.rssTimeline,
      ingestCore: path === 'mqtt' ? replayed.ingest.coreShare : 0,
      influxCore: replayed.influx.coreShare,
      brokerCore: replayed.broker.coreShare,
      spoolMB: prepared.spoolMB,
      stored: after.stored,
      rejected: archive ? archive.rejectedPoints : after.rejectedLog,
    };
  } finally {
    for (const c of children.reverse()) await c.stop('SIGTERM');
    for (const g of ingests) await g.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
