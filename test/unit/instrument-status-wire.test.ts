import { describe, expect, it } from 'vitest';
import { instrumentStatusLines } from '../../gateway/influx/event-lines.js';
import { WireDecoder, type Rejection, type WireMessage } from '../../gateway/ingest/wire-decoder.js';

/**
 * The retained instrument status through the ingest's one decoder: taken when it is what a gateway
 * publishes on its own topic, refused whole otherwise, and rendered as `instrument_cal` points.
 */
const NOW = 1_795_000_000_000;
const decoder = new WireDecoder({ maxAgeMs: 400 * 86_400_000, maxAheadMs: 3_600_000, maxBytes: 64 * 1024, now: () => NOW });
const TOPIC = 'mg/labA/gw1/press-01/status';
const cal = { status: 'valid', certificate: 'P "1", x=2', due: '2027-01-01', daysToDue: 36, traceable: true };
const status = (over: Record<string, unknown> = {}) => ({
  v: 1,
  site: 'labA',
  gateway: 'gw1',
  instrument: 'press-01',
  online: true,
  since: NOW - 5000,
  ts: NOW,
  cal,
  channels: [
    { channel: 'pressure', hasRecord: true, ...cal },
    { channel: 'setpoint', hasRecord: false, status: 'uncalibrated', certificate: null, due: null, daysToDue: null, traceable: false },
  ],
  ...over,
});
const decode = (topic: string, doc: unknown): WireMessage | Rejection => decoder.decode(topic, Buffer.from(JSON.stringify(doc)));

describe('instrument status on the wire', () => {
  it('is decoded and rendered as the summary and one point per channel, strings escaped', () => {
    const m = decode(TOPIC, status());
    expect(m).toMatchObject({ kind: 'status' });
    const lines = instrumentStatusLines((m as Extract<WireMessage, { kind: 'status' }>).status);
    // Exact lines: a quote or comma inside a string field stays inside it.
    expect(lines).toEqual([
      'instrument_cal,instrument=press-01,scope=instrument,site=labA status="valid",certificate="P \\"1\\", x=2",due="2027-01-01",traceable=1,online=1 1795000000000000000',
      'instrument_cal,channel=pressure,instrument=press-01,scope=channel,site=labA status="valid",certificate="P \\"1\\", x=2",due="2027-01-01",traceable=1,has_record=1 1795000000000000000',
      'instrument_cal,channel=setpoint,instrument=press-01,scope=channel,site=labA status="uncalibrated",certificate="",due="",traceable=0,has_record=0 1795000000000000000',
    ]);
  });

  it('is refused whole when its topic names another instrument, a channel id is not one, or a status is unknown', () => {
    expect(decode('mg/labA/gw1/bath-01/status', status())).toMatchObject({ reason: 'topic_identity' });
    expect(decode(TOPIC, status({ channels: [{ channel: 'x\ny', hasRecord: true, ...cal }] }))).toMatchObject({ reason: 'schema' });
    expect(decode(TOPIC, status({ cal: { ...cal, status: 'fine' } }))).toMatchObject({ reason: 'schema' });
    expect(decode(TOPIC, status({ ts: 0 }))).toMatchObject({ reason: 'timestamp' });
    expect(decode(TOPIC, status({ removed: false }))).toMatchObject({ reason: 'schema' });
  });

  it("a removed instrument's last status is one summary point with status removed; the cleared retained status is no rejection", () => {
    const m = decode(TOPIC, status({ removed: true, online: false, channels: [] }));
    expect(m).toMatchObject({ kind: 'status' });
    expect(instrumentStatusLines((m as Extract<WireMessage, { kind: 'status' }>).status)).toEqual([
      'instrument_cal,instrument=press-01,scope=instrument,site=labA status="removed",certificate="P \\"1\\", x=2",due="2027-01-01",traceable=1,online=0 1795000000000000000',
    ]);
    expect(decoder.decode(TOPIC, Buffer.alloc(0))).toEqual({ kind: 'status_cleared' });
    // Only a status topic may be cleared: an empty data message is still refused.
    expect(decoder.decode('mg/labA/gw1/press-01/data', Buffer.alloc(0))).toMatchObject({ reason: 'not_json' });
  });
});
