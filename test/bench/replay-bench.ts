/**
 * Replay scenario: 1,000,000 readings wait in the spool (a long outage of 20 instruments × 50
 * channels); the gateway starts and replays them into InfluxDB while it keeps polling live
 * instruments, along one of two paths:
 *   direct  spool → influx sink (influx.sink) → InfluxDB, in the gateway process;
 *   mqtt    spool → MQTT sink → Mosquitto → ingest role → InfluxDB.
 * Each is reported next to baselines measured in the same run, just before it, on the same
 * InfluxDB: the same points pre-rendered and posted 5,000 per request in a tight loop, one request
 * at a time (the baseline) and writeConcurrency at a time (the direct sink's shape).
 *
 *   import { replayBench } from './replay-bench.js';
 *   import { printReplay } from './replay-report.js';
 *   printReplay(await replayBench({ dist }));
 */
import { startInfluxDB } from '../../tools/private-services/influxdb.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import { measurePath } from './replay-path.js';
import type { PathResult, ReplayPath } from './replay-result.js';

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
