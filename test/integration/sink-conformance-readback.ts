/**
 * Reading back what a sink conformance destination holds: a subscriber on the brokers, a query on
 * InfluxDB (sink-conformance-fixtures.ts uses them; the HTTPS receiver keeps its own lists).
 */
import { connectAsync, type MqttClient } from 'mqtt';
import type { WireCalEvent } from '../../gateway/contract/messages.js';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { uniqueName } from '../support/e2e-fixture.js';

/** The ts of the cal_event points of one instrument, as the direct InfluxDB sink wrote them. */
export async function storedEventTimes(url: string, database: string, instrument: string): Promise<number[]> {
  const rows = await influxClient({ url, database }).query<{ time: Date }>(`SELECT "reason" FROM "cal_event" WHERE "instrument" = '${instrument}'`);
  return rows.map((r) => new Date(r.time).getTime());
}

/**
 * A subscriber that keeps, per instrument, the seqs of every data message and the ts of every
 * event message (mqtt.js subscribes again after a broker restart).
 */
export async function readTopics(
  url: string,
  filter: string,
): Promise<{ seqs(instrument: string): number[]; events(instrument: string): number[]; close(): Promise<void> }> {
  const seqs = new Map<string, number[]>();
  const events = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, instrument: string, values: number[]) => map.set(instrument, [...(map.get(instrument) ?? []), ...values]);
  const client: MqttClient = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, clientId: uniqueName('conf-reader') });
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/data')) {
      const batch = JSON.parse(payload.toString()) as WireBatch;
      add(
        seqs,
        batch.instrument,
        batch.readings.map((r) => r.seq),
      );
    } else if (topic.endsWith('/event')) {
      const event = JSON.parse(payload.toString()) as WireCalEvent;
      add(events, event.instrument, [event.ts]);
    }
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { seqs: (i) => [...(seqs.get(i) ?? [])], events: (i) => [...(events.get(i) ?? [])], close: () => client.endAsync(true) };
}
