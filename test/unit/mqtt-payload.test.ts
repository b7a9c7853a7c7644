import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { serialiseBatch } from '../../gateway/sinks/mqtt/payload.js';
import { dataSubscription, dataTopic, gatewayStateTopic, parseDataTopic, shared, statusTopic } from '../../gateway/sinks/mqtt/topics.js';
import type { CalTag, Reading } from '../../gateway/reading.js';

const schema = JSON.parse(readFileSync(new URL('../../gateway/schemas/reading-batch.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const cal: CalTag = { status: 'due_soon', certificate: 'CAL "7"', due: '2026-12-15', daysToDue: 19, traceable: true };
const reading = (over: Partial<Reading>): Reading => ({
  site: 'lab',
  instrument: 'bath-01',
  channel: 'temperature',
  quantity: 'temperature',
  unit: '°C',
  ts: 1_795_000_000_123,
  seq: 7,
  raw: 25.0012,
  value: 25.0012,
  quality: 'good',
  cal,
  ...over,
});

describe('reading batch payload', () => {
  it('serialises to JSON that parses back to the documented shape and validates against the schema', () => {
    const batch = {
      site: 'lab',
      instrument: 'bath-01',
      readings: [
        reading({}),
        reading({ channel: 'circulating', quantity: 'status', unit: '', seq: 8, raw: true, value: true }),
        reading({ channel: 'serial', quantity: 'identity', unit: '', seq: 9, raw: 'SN-0042\\"x', value: 'SN-0042\\"x' }),
        reading({ channel: 'power', seq: 10, raw: null, value: null, quality: 'bad', reason: 'exception:2 (illegal data address)' }),
        reading({ channel: 'u', seq: 11, u: 0.0021, k: 2 }),
      ],
    };
    const text = serialiseBatch(batch, 'edge-1');
    const parsed = JSON.parse(text);
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    expect(parsed).toEqual({
      v: 1,
      site: 'lab',
      gateway: 'edge-1',
      instrument: 'bath-01',
      readings: [
        { channel: 'temperature', quantity: 'temperature', unit: '°C', ts: 1_795_000_000_123, seq: 7, raw: 25.0012, value: 25.0012, quality: 'good', cal },
        { channel: 'circulating', quantity: 'status', unit: '', ts: 1_795_000_000_123, seq: 8, raw: true, value: true, quality: 'good', cal },
        { channel: 'serial', quantity: 'identity', unit: '', ts: 1_795_000_000_123, seq: 9, raw: 'SN-0042\\"x', value: 'SN-0042\\"x', quality: 'good', cal },
        {
          channel: 'power',
          quantity: 'temperature',
          unit: '°C',
          ts: 1_795_000_000_123,
          seq: 10,
          raw: null,
          value: null,
          quality: 'bad',
          reason: 'exception:2 (illegal data address)',
          cal,
        },
        {
          channel: 'u',
          quantity: 'temperature',
          unit: '°C',
          ts: 1_795_000_000_123,
          seq: 11,
          raw: 25.0012,
          value: 25.0012,
          quality: 'good',
          u: 0.0021,
          k: 2,
          cal,
        },
      ],
    });
  });

  it('writes NaN and Infinity from a device as null, which is still valid JSON', () => {
    const parsed = JSON.parse(serialiseBatch({ site: 'lab', instrument: 'i', readings: [reading({ raw: Number.NaN, value: Number.POSITIVE_INFINITY })] }, 'g'));
    expect(parsed.readings[0].raw).toBeNull();
    expect(parsed.readings[0].value).toBeNull();
  });

  it('the schema rejects a bad reading without a reason, and an unknown calibration status', () => {
    const bad = JSON.parse(serialiseBatch({ site: 'lab', instrument: 'i', readings: [reading({ raw: null, value: null, quality: 'bad' })] }, 'g'));
    expect(validate(bad)).toBe(false);
    const good = JSON.parse(serialiseBatch({ site: 'lab', instrument: 'i', readings: [reading({})] }, 'g'));
    good.readings[0].cal.status = 'fine';
    expect(validate(good)).toBe(false);
  });
});

describe('topics', () => {
  it('puts everything a gateway publishes under <prefix>/<site>/<gateway>', () => {
    expect(dataTopic('metrogate', 'lab', 'edge-1', 'bath-01')).toBe('metrogate/lab/edge-1/bath-01/data');
    expect(statusTopic('metrogate', 'lab', 'edge-1', 'bath-01')).toBe('metrogate/lab/edge-1/bath-01/status');
    expect(gatewayStateTopic('metrogate', 'lab', 'edge-1')).toBe('metrogate/lab/edge-1/state');
  });

  it('parses a data topic back, also under a multi-level prefix, and refuses other topics', () => {
    expect(parseDataTopic('a/b', 'a/b/lab/edge-1/bath-01/data')).toEqual({ site: 'lab', gateway: 'edge-1', instrument: 'bath-01' });
    expect(parseDataTopic('metrogate', 'metrogate/lab/edge-1/bath-01/status')).toBeNull();
    expect(parseDataTopic('metrogate', 'other/lab/edge-1/bath-01/data')).toBeNull();
    expect(parseDataTopic('metrogate', 'metrogate/lab/bath-01/data')).toBeNull();
  });

  it('wraps a filter in an MQTT 5 shared subscription only when a group is set', () => {
    expect(shared('ingest', dataSubscription('metrogate', '+'))).toBe('$share/ingest/metrogate/+/+/+/data');
    expect(shared(undefined, dataSubscription('metrogate', 'lab'))).toBe('metrogate/lab/+/+/data');
  });
});
