import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { demoLab, localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import { statusPanelQuery, statusPanelRows } from '../support/status-panel.js';
import { until } from '../support/until.js';

/**
 * One box, no broker (config/examples/one-box.yaml's shape): the calibration board's status panel
 * reads `instrument_cal`, which only the ingest role wrote (from the retained MQTT status), and the
 * health dashboard's `published` counted MQTT PUBACKs only. The direct sink must write the status
 * of every instrument and its changes, and `published` must count what InfluxDB acknowledged.
 */
describe('one box, no broker: instrument status and published readings reach InfluxDB through the direct sink', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('the status panel shows each instrument, then the renewal; published equals the readings stored', async () => {
    const { config: lab, sim } = await demoLab('mqtt://127.0.0.1:1', inject('influxUrl'), 200);
    stops.push(() => sim.stop());
    const { mqtt: _noBroker, ...base } = lab;
    const config: MetrogateConfig = { ...base, influx: { ...base.influx!, sink: { enabled: true, maxInFlight: 64, lingerMs: 20, inOrder: false } } };
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    stops.push(() => gateway.stop());
    await gateway.start();
    expect(gateway.sinks.map((s) => s.name)).toEqual(['influx']);
    const ids = config.instruments.map((i) => i.id);
    const influx = config.influx!;
    expect(statusPanelQuery()).toContain('"status"');
    const panel = () => statusPanelRows(influx, config.site, ids);

    // Every instrument's row, as the gateway itself knows its calibration (its API's source).
    const allOnline = (rows: Map<string, Record<string, unknown>>) => ids.every((id) => rows.get(id)?.online === 1);
    await until(async () => allOnline(await panel()), `an online status row for each of ${ids.join(', ')}`, 15_000);
    const rows = await panel();
    for (const id of ids) {
      const cal = gateway.pipeline.instrumentState(id)!.cal;
      expect(rows.get(id), id).toMatchObject({ status: cal.status, certificate: cal.certificate ?? '', due: cal.due ?? '' });
    }
    expect(rows.get('balance-01')).toMatchObject({ status: 'expired', certificate: 'E2E-EXPIRED', traceable: 0 });

    // The renewal imported while running replaces balance-01's row.
    await gateway.calibration.addRecord({
      certificate: 'E2E-RENEWED',
      instrument: 'balance-01',
      kind: 'calibration',
      calibrated: localDate(-1),
      due: localDate(300),
      unit: 'g',
      range: { min: 0, max: 220 },
      errorTable: [],
      traceability: [],
      source: 'api',
    });
    await until(async () => (await panel()).get('balance-01')?.certificate === 'E2E-RENEWED', 'balance-01 renewed on the status panel', 15_000);
    expect((await panel()).get('balance-01')).toMatchObject({ status: 'valid', due: localDate(300), traceable: 1, online: 1 });

    // No more readings once the drivers stopped (a timing-out device would still yield bad ones),
    // while the stats go on: the latest stats' published must then equal the readings InfluxDB
    // stored for this site (each reading is one point), counted by InfluxDB.
    await Promise.all(gateway.drivers.map((d) => d.stop()));
    const stored = async () => {
      const q = `SELECT count("seq") FROM "${influx.measurement}" WHERE "site" = '${config.site}'`;
      return Number(rowsOf(await influxSeries(influx.url, influx.database, q))[0]?.count ?? 0);
    };
    const latestPublished = async () => {
      const q = `SELECT last("published") AS "published" FROM "gateway_stats" WHERE "site" = '${config.site}' AND "gateway" = 'e2e-gw'`;
      return Number(rowsOf(await influxSeries(influx.url, influx.database, q))[0]?.published ?? -1);
    };
    let seen = '';
    await until(
      async () => {
        const [published, count] = [await latestPublished(), await stored()];
        seen = `published ${published}, stored ${count}`;
        return count > 0 && published === count;
      },
      'gateway_stats.published equal to the stored readings',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${seen}`);
    });
  }, 90_000);
});
