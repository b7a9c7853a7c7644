import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { saveRecord } from '../../gateway/calibration/record-store.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startNode, type Child } from '../bench/children.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { restartableMosquitto } from './faults-fixture.js';
import { until } from '../support/until.js';

/**
 * A calibration event raised while the broker is down, then the gateway SIGKILLed: the event was
 * in memory only (mqtt.js's offline queue) and was lost; now it is in the spool with the readings.
 * The gateway restarts, the broker comes back, and the event must arrive on MQTT and, through the
 * ingest role (its own process), as a `cal_event` point in InfluxDB. The built CLI runs as a
 * child, as in production.
 */
describe('faults: a calibration event survives a broker outage and a SIGKILL of the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-faults-event-'));
  const children: Child[] = [];
  afterAll(() => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the event is delivered after the restart: on the broker and in InfluxDB', async () => {
    assertBuilt();
    const broker = await restartableMosquitto();
    const { config, sim } = await demoLab(broker.url, inject('influxUrl'), 200);
    const port = await freePort();
    const records = config.calibration!.recordsDir;
    const gwFile = join(dir, 'gateway.yaml');
    writeFileSync(
      gwFile,
      stringify({
        ...config,
        gateway: { id: 'ev-gw', logLevel: 'info', statsIntervalMs: 1000 },
        ingest: { enabled: false },
        api: { enabled: true, host: '127.0.0.1', port },
        spool: { dir: join(dir, 'spool') },
      }),
    );
    const inFile = join(dir, 'ingest.yaml');
    writeFileSync(
      inFile,
      stringify({ ...config, gateway: { id: 'ev-ingest', logLevel: 'info' }, api: { enabled: false }, ingest: { enabled: true }, instruments: [] }),
    );
    const start = (file: string, args: string[] = []): Child => {
      const c = startNode(CLI, ['run', '--config', file, ...args]);
      children.push(c);
      return c;
    };
    const metric = async (name: string, labels: Record<string, string>) =>
      sampleValue(parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), name, labels);
    const calEvents = async () =>
      rowsOf(await influxSeries(config.influx!.url, config.influx!.database, `SELECT * FROM "cal_event" WHERE "instrument" = 'balance-01'`));
    try {
      const ingest = start(inFile, ['--no-drivers']);
      await ingest.waitFor((l) => l.msg === 'ingest subscribed');

      // Run 1: the broker is down; balance-01's readings are tagged expired, then its renewal arrives.
      await broker.stop();
      const first = start(gwFile);
      await first.waitFor((l) => l.msg === 'metrogate started');
      await until(
        async () => (await metric('metrogate_readings_polled_total', { instrument: 'balance-01' })) > 0,
        'readings of balance-01 tagged expired',
        30_000,
      );
      const record: CalibrationRecord = {
        certificate: 'E2E-RENEWED',
        instrument: 'balance-01',
        kind: 'calibration',
        calibrated: localDate(-1),
        due: localDate(300),
        unit: 'g',
        range: { min: 0, max: 220 },
        errorTable: [],
        traceability: [],
        source: 'dcc',
      };
      saveRecord(records, record);
      await first.waitFor((l) => l.msg === 'calibration status changed' && l.instrument === 'balance-01' && l.to === 'valid');
      // Entries are appended in order: once readings polled after the event are in the spool, so is the event.
      const depth = await metric('metrogate_spool_depth', { sink: 'mqtt' });
      await until(async () => (await metric('metrogate_spool_depth', { sink: 'mqtt' })) > depth, 'readings spooled after the event', 30_000);
      first.proc.kill('SIGKILL');
      await first.stop();
      expect(await calEvents(), 'nothing reached InfluxDB while the broker was down').toEqual([]);

      // Run 2: the gateway starts again (the record is not news to it any more), then the broker comes back.
      const second = start(gwFile);
      await second.waitFor((l) => l.msg === 'spool opened');
      await broker.start();
      const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
      const events: Record<string, unknown>[] = [];
      watcher.on('message', (_topic, payload) => events.push(JSON.parse(payload.toString()) as Record<string, unknown>));
      await watcher.subscribeAsync(`${config.mqtt.topicPrefix}/${config.site}/ev-gw/balance-01/event`, { qos: 1 });
      const renewal = (e: Record<string, unknown>) => e.kind === 'transition' && e.from === 'expired' && e.to === 'valid' && e.certificate === 'E2E-RENEWED';
      await until(() => events.some(renewal), 'the renewal event on MQTT', 30_000);
      expect(events.find(renewal)).toMatchObject({ v: 1, site: config.site, gateway: 'ev-gw', instrument: 'balance-01' });
      expect(String(events.find(renewal)!.reason)).toMatch(/^new record E2E-RENEWED/);
      await until(
        async () => (await calEvents()).some((p) => p.to_status === 'valid' && p.certificate === 'E2E-RENEWED'),
        'the cal_event point in InfluxDB',
        30_000,
      );
      const points = (await calEvents()).filter((p) => p.to_status === 'valid');
      expect(points.every((p) => p.from_status === 'expired' && p.kind === 'transition')).toBe(true);
      await watcher.endAsync();
      expect(await second.stop('SIGTERM')).toBe(0);
      expect(await ingest.stop('SIGTERM')).toBe(0);
    } finally {
      await sim.stop();
      await broker.dispose();
    }
  }, 120_000);
});
