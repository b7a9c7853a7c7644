import type { TestProject } from 'vitest/node';
import { createLogger } from '../gateway/log.js';
import type { PrivateService } from '../tools/private-services/daemon.js';
import { ensureInstalled, TEST_NEEDS } from '../tools/private-services/ensure-installed.js';
import { startInfluxDB } from '../tools/private-services/influxdb.js';
import { startMosquitto } from '../tools/private-services/mosquitto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** mqtt://127.0.0.1:<port> of the suite's private Mosquitto (anonymous, no persistence). */
    mqttUrl: string;
    /** http://127.0.0.1:<port> of the suite's private InfluxDB 1.x (no auth, empty). */
    influxUrl: string;
  }
}

/**
 * One private Mosquitto and one private InfluxDB for the whole suite, on free loopback ports with
 * temporary data: a broker or database already running on this machine is never touched.
 * Tests read the URLs with inject('mqttUrl') / inject('influxUrl').
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger('info', { pretty: false });
  // Every program any test runs, not only the two servers started here: a missing one fails the
  // run up front with the command that installs it, instead of one test deep into the suite.
  const bins = await ensureInstalled(TEST_NEEDS, { log });

  const started = await Promise.allSettled([startMosquitto({ binary: bins.mosquitto }), startInfluxDB({ binary: bins.influxd })]);
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(running.map((s: PrivateService) => s.stop()));
  };
  const [mqtt, influx] = started;
  if (mqtt?.status !== 'fulfilled' || influx?.status !== 'fulfilled') {
    await stopAll();
    const reasons: unknown[] = started.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
    throw new AggregateError(reasons, reasons.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'));
  }

  project.provide('mqttUrl', mqtt.value.url);
  project.provide('influxUrl', influx.value.url);
  return stopAll;
}
