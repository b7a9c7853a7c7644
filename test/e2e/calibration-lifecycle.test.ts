import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { startOfLocalDay } from '../../gateway/calibration/calendar.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { untilStoredReadings } from '../support/stored-readings.js';
import { until } from '../support/until.js';

/**
 * A real gateway on real servers, with one thing shifted: the wall clock (the only mock the project
 * allows) starts 4 s before local midnight, so that a certificate due "yesterday" expires while the
 * test watches. The clock runs at real speed.
 */
describe('calibration lifecycle end to end: expiry without restart, and an as-found failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-cal-'));
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let watcher: MqttClient;
  let midnight: number;
  const messages: { topic: string; body: Record<string, unknown>; retain: boolean }[] = [];

  beforeAll(async () => {
    midnight = startOfLocalDay(Date.now());
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(midnight - 4000);
    const yesterday = localDate(0);
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    config = {
      ...config,
      calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
      instruments: config.instruments.map((inst) =>
        inst.id === 'bath-01' ? { ...inst, calibration: { certificate: 'BATH-2025', calibrated: localDate(-365), due: yesterday, dueSoonDays: 0 } } : inst,
      ),
    };
    watcher = await connectAsync(config.mqtt!.url, { protocolVersion: 5 });
    watcher.on('message', (topic, payload, packet) => messages.push({ topic, body: JSON.parse(payload.toString()), retain: packet.retain }));
    await watcher.subscribeAsync(`${config.mqtt!.topicPrefix}/#`, { qos: 1 });
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    await gateway.start();
    // Past midnight by a few seconds, a new certificate for the pressure controller arrives whose
    // as-found data failed: everything it measured since its previous calibration is suspect.
    while (Date.now() < midnight + 3000) await new Promise((r) => setTimeout(r, 50));
    await gateway.calibration.addRecord({
      certificate: 'P-NEW-ASFOUND',
      instrument: 'pressure-01',
      channel: 'pressure',
      kind: 'calibration',
      calibrated: localDate(0),
      due: localDate(365),
      unit: 'kPa',
      mpe: 0.05,
      asFound: [{ reference: 200, indication: 200.12, error: 0.12, U: 0.01, k: 2 }],
      errorTable: [{ reference: 200, indication: 200.01, error: 0.01, U: 0.01, k: 2 }],
      traceability: [{ standard: 'Piston gauge PG7601', certificate: 'NIM-P-2026-17' }],
      source: 'api',
    });
    while (Date.now() < midnight + 5000) await new Promise((r) => setTimeout(r, 50));
    await gateway.stopPolling();
    const published = [...gateway.pipeline.counters.values()].reduce((n, c) => n + c.delivered.mqtt!, 0);
    await untilStoredReadings(config.influx!, published);
    await until(() => gateway.impactReports!.written >= 1, 'the impact report to be written', { observe: () => gateway.impactReports!.written });
    await gateway.stop();
  });
  afterAll(async () => {
    vi.useRealTimers();
    await watcher?.endAsync();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const topic = (instrument: string, leaf: string) => `${config.mqtt!.topicPrefix}/${config.site}/e2e-gw/${instrument}/${leaf}`;
  const db = () => influxClient(config.influx!);

  it('the bath turns from valid to expired at midnight in its readings, its retained status and an event', async () => {
    const rows = await db().query<{ first: number; last: number }>(
      `SELECT min("seq") AS "first", max("seq") AS "last" FROM "reading" WHERE "instrument" = 'bath-01' GROUP BY "cal_status"`,
    );
    const byStatus = new Map(rows.groups().map((g) => [g.tags.cal_status, g.rows[0]!]));
    expect([...byStatus.keys()].sort()).toEqual(['expired', 'valid']);
    // Every valid reading came before every expired one.
    expect(byStatus.get('valid')!.last).toBeLessThan(byStatus.get('expired')!.first);
    const valid = await db().query<{ time: Date }>(`SELECT last("seq") FROM "reading" WHERE "instrument" = 'bath-01' AND "cal_status" = 'valid'`);
    const expired = await db().query<{ time: Date }>(`SELECT first("seq") FROM "reading" WHERE "instrument" = 'bath-01' AND "cal_status" = 'expired'`);
    expect(valid[0]!.time.getTime()).toBeLessThan(midnight);
    expect(expired[0]!.time.getTime()).toBeGreaterThanOrEqual(midnight);

    const statuses = messages.filter((m) => m.topic === topic('bath-01', 'status')).map((m) => (m.body.cal as { status: string }).status);
    expect(statuses[0]).toBe('valid');
    expect(statuses.at(-1)).toBe('expired');
    const events = messages.filter((m) => m.topic === topic('bath-01', 'event')).map((m) => m.body);
    expect(events).toEqual([
      expect.objectContaining({ kind: 'transition', from: 'valid', to: 'expired', ts: midnight, certificate: 'BATH-2025', reason: 'calendar' }),
    ]);

    const points = await db().query<{ time: Date; text: string; to_status: string }>(
      `SELECT "text", "to_status" FROM "cal_event" WHERE "instrument" = 'bath-01'`,
    );
    expect(points.map((p) => [p.time.getTime(), p.to_status])).toEqual([[midnight, 'expired']]);
    expect(points[0]!.text).toBe('bath-01: valid → expired (calendar)');
  });

  it('an as-found failure produces the impact report: the suspect period and the readings it holds', async () => {
    const suspect = messages.filter((m) => m.topic === topic('pressure-01', 'event') && m.body.kind === 'suspect');
    expect(suspect).toHaveLength(1);
    const [counted] = await db().query<{ n: number }>(
      `SELECT count("seq") AS "n" FROM "reading" WHERE "instrument" = 'pressure-01' AND "channel" = 'pressure' AND time < ${midnight}ms`,
    );
    expect(counted!.n).toBeGreaterThan(5);
    const file = join(dir, 'reports', 'pressure-01.pressure-P-NEW-ASFOUND-impact.json');
    expect(existsSync(file)).toBe(true);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    expect(report).toMatchObject({
      instrument: 'pressure-01',
      channel: 'pressure',
      certificate: 'P-NEW-ASFOUND',
      readingsAffected: counted!.n,
      asFoundError: 0.12,
      mpe: 0.05,
      to: new Date(midnight).toISOString(),
      // Since the previous (instrument-wide) calibration of the demo lab's pressure controller.
      from: new Date(`${config.instruments.find((i) => i.id === 'pressure-01')!.calibration!.calibrated}T00:00:00`).toISOString(),
    });
    expect(readFileSync(file.replace(/\.json$/, '.md'), 'utf8')).toContain(`Readings affected: ${counted!.n}`);
    // The adjusted instrument is back in service from its new calibration on.
    expect(gateway.calibration.statusOf('pressure-01', 'pressure')).toMatchObject({ status: 'valid', certificate: 'P-NEW-ASFOUND' });
  });
});
