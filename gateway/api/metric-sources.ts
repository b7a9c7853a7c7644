/** Prometheus metrics whose values live elsewhere, read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;
export type Samples = Iterable<[Labels, number]>;

/**
 * A counter whose values live elsewhere (pipeline, drivers, ingest): read at scrape time, so the
 * hot path keeps its plain integer counters and pays nothing for Prometheus.
 */
export function sourced(registry: Registry, name: string, help: string, labelNames: string[], read: () => Samples): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

export function sourcedGauge(registry: Registry, name: string, help: string, labelNames: string[], read: () => Samples): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}
