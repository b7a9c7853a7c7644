/** Prints the replay scenario's table, per-process core shares, RSS timeline and one JSON line. */
import type { PathResult, ReplayPath } from './replay-result.js';

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
