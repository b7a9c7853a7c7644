/**
 * Replay scenario: 1,000,000 readings wait in the spool (a long outage of 20 instruments × 50
 * channels); the gateway starts, replays them through the broker and the ingest role into
 * InfluxDB while it keeps polling live instruments. Reported next to a baseline measured in the
 * same run: pre-built line-protocol batches posted to the same InfluxDB in a tight loop.
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
import { benchProfile, channelsFor } from '../../drivers/modbus/simulator/profiles.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { ensureDatabase, influxClient } from '../../gateway/ingest/ensure-database.js';
import { InfluxWriter } from '../../gateway/ingest/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/ingest/line-protocol.js';
import { createLogger } from '../../gateway/log.js';
import { startInfluxDB } from '../../gateway/private-services/influxdb.js';
import { startMosquitto } from '../../gateway/private-services/mosquitto.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { serialiseBatch, type WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { encodeBatch } from '../../gateway/spool/batch-codec.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';
import { startNode, type Child } from './children.js';
import { memoryMB, ProcessMeter } from './process-meter.js';

export interface ReplayOptions {
  /** Root of the build (…/dist): the gateway and the simulator run from there. */
  dist: string;
  /** Readings spooled before the gateway starts. Default 1,000,000. */
  readings?: number;
  /** Live instruments polled meanwhile (50 registers at 1 Hz each). Default 20. */
  liveDevices?: number;
}

export interface ReplayResult {
  readings: number;
  replaySeconds: number;
  /** When the gateway had everything acknowledged by the broker (the rest is the ingest's). */
  publishedSeconds: number;
  replayPerS: number;
  baselinePerS: number;
  /** replayPerS / baselinePerS; the target is ≥ 0.8. */
  ratio: number;
  /** Live readings written per second during the replay (expected: liveDevices × 50). */
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
  /** Points InfluxDB refused (so the ingest dropped them); anything but 0 is a loss to fix. */
  ingestRejected: number;
}

const ARCHIVE_SITE = 'archive';
const INSTRUMENTS = 20;
const CHANNELS = 50;
const cal = Object.freeze({ status: 'valid' as const, certificate: 'BENCH-CAL', due: '2027-01-01', daysToDue: 30, traceable: true });

/** Poll cycle `i` of the archive: instrument i % 20, one second apart per instrument, two days ago. */
function archiveBatch(i: number, t0: number): ReadingBatch {
  const instrument = `archive-${i % INSTRUMENTS}`;
  const cycle = Math.floor(i / INSTRUMENTS);
  const readings: Reading[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const v = 10_000 + ((cycle * 7 + c * 13) % 1000);
    readings.push({ site: ARCHIVE_SITE, instrument, channel: `r${String(c).padStart(3, '0')}`, quantity: 'signal', unit: '', ts: t0 + cycle * 1000, seq: cycle * CHANNELS + c + 1, raw: v, value: v, quality: 'good', cal });
  }
  return { site: ARCHIVE_SITE, instrument, readings };
}

/** Baseline: the same shape of points, rendered beforehand, posted 5,000 at a time, one request at a time. */
async function baseline(url: string, readings: number, t0: number): Promise<number> {
  const database = 'baseline';
  await ensureDatabase({ url, database });
  const renderer = new LineProtocolRenderer('reading');
  const chunks: string[][] = [];
  let lines: string[] = [];
  for (let i = 0; i * CHANNELS < readings; i++) {
    renderer.render(JSON.parse(serialiseBatch(archiveBatch(i, t0), 'bench')) as WireBatch, lines);
    if (lines.length >= 5000) {
      chunks.push(lines);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines);
  const writer = new InfluxWriter({ url, database });
  const start = performance.now();
  for (const c of chunks) await writer.write(c);
  const perS = readings / ((performance.now() - start) / 1000);
  writer.close();
  return perS;
}

/** Fills the spool the gateway will open, as an outage of readings/50 poll cycles would have. */
function fillSpool(dir: string, readings: number, t0: number): void {
  const spool = new SqliteSpool({ dir, consumers: ['mqtt'] });
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

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`replay bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function replayBench(opts: ReplayOptions): Promise<ReplayResult> {
  const readings = opts.readings ?? 1_000_000;
  const liveDevices = opts.liveDevices ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-replay-bench-'));
  const t0 = Date.now() - 2 * 86_400_000;
  const log = createLogger('warn', { pretty: false });
  const [mosquitto, influx] = await Promise.all([startMosquitto({ extraConfig: ['max_inflight_messages 100', 'max_queued_messages 0'] }), startInfluxDB()]);
  const children: Child[] = [];
  const ingests: Gateway[] = [];
  try {
    const baselinePerS = await baseline(influx.url, readings, t0);

    const spoolRoot = join(dir, 'spool');
    mkdirSync(join(spoolRoot, 'bench'), { recursive: true });
    fillSpool(join(spoolRoot, 'bench'), readings, t0);
    const spoolMB = statSync(join(spoolRoot, 'bench', 'spool.sqlite')).size / 1048576;

    // Two ingesters in this process: one takes the replayed site (measured), one the live site.
    const ingestConfig = (site: string, id: string): MetrogateConfig => parseConfig(stringify({
      site, gateway: { id, logLevel: 'warn' }, mqtt: { url: mosquitto.url },
      influx: { url: influx.url, database: 'replay' }, ingest: { enabled: true, sites: [site] },
    }), join(dir, `${id}.yaml`), {});
    for (const [site, id] of [[ARCHIVE_SITE, 'replay-ingest'], ['bench', 'live-ingest']] as const) {
      const g = buildGateway(ingestConfig(site, id), log, { drivers: false, ingest: true });
      await g.start();
      ingests.push(g);
    }
    const [archive, live] = ingests.map((g) => g.ingest!.stats);

    const sim = startNode(join(opts.dist, 'drivers/modbus/simulator/main.js'), ['--bench', String(liveDevices), '--base-port', '0', '--registers', String(CHANNELS)]);
    children.push(sim);
    const ready = (await sim.waitFor((l) => l.ready === true)) as { devices: { id: string; port: number; unitId: number }[] };
    const gwFile = join(dir, 'gateway.yaml');
    writeFileSync(gwFile, stringify({
      site: 'bench',
      gateway: { id: 'replay-gw', logLevel: 'info' },
      mqtt: { url: mosquitto.url },
      api: { enabled: false },
      spool: { dir: spoolRoot },
      instruments: ready.devices.map((d) => ({
        id: d.id, protocol: 'modbus-tcp', connection: { host: '127.0.0.1', port: d.port, unitId: d.unitId, timeoutMs: 1000 },
        pollIntervalMs: 1000, channels: channelsFor(benchProfile(CHANNELS)),
      })),
    }));
    const gw = startNode(join(opts.dist, 'gateway/cli/main.js'), ['run', '--config', gwFile]);
    children.push(gw);
    const meter = new ProcessMeter(gw.pid);
    const others = { ingest: new ProcessMeter(process.pid), influx: new ProcessMeter(influx.pid), broker: new ProcessMeter(mosquitto.pid) };
    meter.begin();
    for (const m of Object.values(others)) m.begin();
    // From the gateway's own "replaying" log line (its pino time), not from the process start.
    const replaying = await gw.waitFor((l) => l.msg === 'replaying the spool', 60_000);
    const start = Number(replaying.time);
    const live0 = live!.points;
    const liveFrom = Date.now();
    const rssTimeline: number[] = [];
    const rssTimer = setInterval(() => rssTimeline.push(Math.round(memoryMB(gw.pid).rss)), 2000);
    const progress = setInterval(() => console.error(`replay bench: ${archive!.points} of ${readings} replayed readings in InfluxDB`), 5000);
    try {
      // Points the ingest gave up on count too: the bench reports them instead of waiting forever.
      await waitFor(() => archive!.points + archive!.rejectedPoints >= readings, 30 * 60_000, `${readings} replayed readings in InfluxDB`);
    } catch (err) {
      console.error(gw.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n'));
      throw err;
    } finally {
      clearInterval(progress);
      clearInterval(rssTimer);
    }
    const replaySeconds = (Date.now() - start) / 1000;
    const livePerS = (live!.points - live0) / ((Date.now() - liveFrom) / 1000);
    const use = meter.end();
    const caughtUp = gw.logs.find((l) => l.msg === 'spool replay caught up' && l.sink === 'mqtt');
    const publishedSeconds = caughtUp ? (Number(caughtUp.time) - start) / 1000 : NaN;
    const [ingestUse, influxUse, brokerUse] = [others.ingest.end(), others.influx.end(), others.broker.end()];
    await gw.stop('SIGTERM');

    const rows = await influxClient({ url: influx.url, database: 'replay' }).query<{ n: number }>(`SELECT count("seq") AS "n" FROM "reading" WHERE "site" = '${ARCHIVE_SITE}'`);
    const replayPerS = readings / replaySeconds;
    return {
      readings, replaySeconds, publishedSeconds, replayPerS, baselinePerS, ratio: replayPerS / baselinePerS,
      livePerS, liveExpectedPerS: liveDevices * CHANNELS, gatewayCore: use.coreShare, gatewayPeakRssMB: use.peakRssMB, gatewayRssMB: rssTimeline,
      ingestCore: ingestUse.coreShare, influxCore: influxUse.coreShare, brokerCore: brokerUse.coreShare,
      spoolMB, stored: Number(rows[0]?.n ?? 0), ingestRejected: archive!.rejectedPoints,
    };
  } finally {
    for (const c of children.reverse()) await c.stop('SIGTERM');
    for (const g of ingests) await g.stop();
    await Promise.allSettled([mosquitto.stop(), influx.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printReplay(r: ReplayResult): void {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`\nSpool replay: ${r.readings.toLocaleString('en')} spooled readings (${f(r.spoolMB)} MB of spool) → MQTT → ingest → InfluxDB, live polling meanwhile`);
  console.log('| replay readings/s | baseline (pre-built batches, tight loop) | ratio | replay time | live readings/s during replay (expected) | gateway core | gateway peak RSS | stored |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${f(r.replayPerS)} | ${f(r.baselinePerS)} | ${f(r.ratio * 100)} % | ${f(r.replaySeconds, 1)} s (published in ${f(r.publishedSeconds, 1)} s) | ${f(r.livePerS)} (${f(r.liveExpectedPerS)}) | ${f(r.gatewayCore, 2)} | ${f(r.gatewayPeakRssMB)} MB | ${r.stored === r.readings ? 'all' : `${r.stored} of ${r.readings} (the ingest dropped ${r.ingestRejected} refused by InfluxDB)`} |`);
  console.log(`core shares during the replay (2 cores in all): gateway ${f(r.gatewayCore, 2)}, ingest ${f(r.ingestCore, 2)}, InfluxDB ${f(r.influxCore, 2)}, Mosquitto ${f(r.brokerCore, 2)}`);
  console.log(`gateway RSS every 2 s during the replay: ${r.gatewayRssMB.join(', ')} MB`);
  console.log(JSON.stringify({ bench: 'spool-replay', ...r }));
}
