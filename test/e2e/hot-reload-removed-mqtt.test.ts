import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { demoLab, uniqueName } from '../support/e2e-fixture.js';
import { latestSummary, summaryPoints } from '../support/instrument-cal-points.js';
import { statusPanelRows } from '../support/status-panel.js';
import { until } from '../support/until.js';

const IDS = ['bath-01', 'pressure-01', 'balance-01', 'dmm-01'];
const KEPT = IDS.filter((id) => id !== 'balance-01');

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

/**
 * The retained messages a new subscriber to `filter` gets. The broker sends them while it handles
 * the SUBSCRIBE; a sentinel published on the same connection after the SUBACK comes after them, so
 * its arrival marks the end of the retained ones (no waiting window).
 */
async function retainedOn(url: string, filter: string): Promise<Seen[]> {
  const sentinel = `${uniqueName('sentinel')}/end`;
  const client: MqttClient = await connectAsync(url, { protocolVersion: 5 });
  const seen: Seen[] = [];
  let ended = false;
  client.on('message', (topic, payload, packet) => {
    if (topic === sentinel) ended = true;
    else if (!ended) seen.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  try {
    await client.subscribeAsync([filter, sentinel], { qos: 1 });
    await client.publishAsync(sentinel, 'end', { qos: 1 });
    await until(() => ended, `the sentinel after the retained messages on ${filter}`);
    return seen;
  } finally {
    await client.endAsync();
  }
}

/**
 * With a broker: each instrument's status is retained on `…/<instrument>/status`, and the ingest
 * writes it to `instrument_cal`. A hot reload that removes an instrument must not leave its last
 * status retained as if it were live (every new subscriber, a dashboard, Node-RED, would take it
 * for one): those listening get one last status marked removed, which the ingest writes (the
 * status panel drops the instrument, its history stays), and the retained status is cleared.
 */
describe('hot reload, edge broker: a removed instrument is no longer retained as live', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-removed-mqtt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('its last status goes out marked removed, its retained status is cleared, the ingest drops it from the panel', async () => {
    const { config: lab, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'));
    const config: MetrogateConfig = { ...lab, spool: { ...DEFAULT_SPOOL, dir: join(dir, 'spool') } };
    const filter = `${lab.mqtt.topicPrefix}/${config.site}/e2e-gw/+/status`;
    const topicOf = (id: string) => filter.replace('+', id);
    const live: Seen[] = [];
    const watcher = await connectAsync(lab.mqtt.url, { protocolVersion: 5 });
    watcher.on('message', (topic, payload, packet) => live.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await watcher.subscribeAsync(filter, { qos: 1 });
    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: true });
    const db = config.influx!;
    let rows = new Map<string, Record<string, unknown>>();
    const panel = async () => (rows = await statusPanelRows(db, config.site, IDS));
    try {
      await gateway.start();
      await until(
        async () => {
          await panel();
          return IDS.every((id) => rows.get(id)?.online === 1);
        },
        'every instrument online on the status panel',
        { timeoutMs: 20_000, observe: () => [...rows.keys()] },
      );
      expect((await retainedOn(lab.mqtt.url, filter)).map((m) => m.topic).sort()).toEqual(IDS.map(topicOf).sort());

      await gateway.reload({ ...config, instruments: config.instruments.filter((i) => i.id !== 'balance-01') });
      const ofBalance = () => live.filter((m) => m.topic === topicOf('balance-01'));
      await until(() => ofBalance().at(-1)?.payload === '', "balance-01's retained status cleared", { observe: () => ofBalance().at(-1) });
      const [last, cleared] = ofBalance().slice(-2);
      expect(last!.retain).toBe(false);
      expect(JSON.parse(last!.payload)).toMatchObject({ instrument: 'balance-01', removed: true, online: false, cal: { certificate: 'E2E-EXPIRED' } });
      expect(cleared).toMatchObject({ payload: '', retain: false });

      // A new subscriber sees the instruments configured now, and no status of the removed one.
      expect((await retainedOn(lab.mqtt.url, filter)).map((m) => m.topic).sort()).toEqual(KEPT.map(topicOf).sort());
      // The ingest wrote the removal, and took the empty message as the clear it is, not as garbage.
      await until(async () => !(await panel()).has('balance-01'), 'balance-01 gone from the status panel', {
        timeoutMs: 15_000,
        observe: () => rows.get('balance-01'),
      });
      for (const id of KEPT) expect(rows.get(id), id).toMatchObject({ online: 1 });
      expect(await latestSummary(db, config.site, 'balance-01')).toMatchObject({ status: 'removed', online: 0 });
      expect(await summaryPoints(db, config.site, 'balance-01', `"status" = 'expired'`)).toBeGreaterThan(0);
      expect(gateway.ingest!.stats.rejectedMessages).toBe(0);
    } finally {
      await gateway.stop();
      await watcher.endAsync();
      await sim.stop();
    }
  }, 60_000);
});
