import type { Driver } from '../drivers/driver.js';
import type { Pipeline } from './pipeline.js';
import type { GatewayStats } from './sinks/sink.js';

/**
 * Readings acknowledged on their way to storage: by the MQTT broker (PUBACK; the ingest role stores
 * them) when the gateway publishes to one, else by InfluxDB through the direct sink (204: stored).
 * One sink only, so a box with both does not count a reading twice.
 */
export function publishedOf(delivered: Readonly<Record<string, number>>): number {
  return delivered.mqtt ?? delivered.influx ?? 0;
}

/**
 * Every interval, the gateway's totals go through the spool to every sink that takes them (the
 * MQTT sink publishes them and the ingest role writes them to InfluxDB; the direct InfluxDB sink
 * writes them itself): the gateway health dashboard has them also after an outage or a crash.
 */
export class StatsPublisher {
  private timer: NodeJS.Timeout | null = null;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly drivers: readonly Driver[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.publish(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  snapshot(): GatewayStats {
    let polled = 0;
    let published = 0;
    for (const c of this.pipeline.counters.values()) {
      polled += c.polled;
      published += publishedOf(c.delivered);
    }
    let errors = 0;
    let timeouts = 0;
    let skippedCycles = 0;
    for (const s of this.drivers.flatMap((d) => d.stats())) {
      errors += s.errors;
      timeouts += s.timeouts;
      skippedCycles += s.skippedCycles;
    }
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const cpuShare = (cpu.user + cpu.system) / 1000 / Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return {
      ts: Date.now(),
      polled,
      published,
      errors,
      timeouts,
      skippedCycles,
      spoolDepth: this.pipeline.spoolStats().reduce((n, s) => n + s.depth, 0),
      rssMB: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
      cpuShare: Math.round(cpuShare * 10000) / 10000,
    };
  }

  private publish(): void {
    this.pipeline.publishStats(this.snapshot());
  }
}
