import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Id } from '../../config/common.js';
import { splitLines } from '../../gateway/influx/isolate-refused.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { WireDecoder, type Rejection, type WireMessage } from '../../gateway/ingest/wire-decoder.js';
import batchSchema from '../../gateway/schemas/reading-batch.schema.json' with { type: 'json' };
import eventSchema from '../../gateway/schemas/cal-event.schema.json' with { type: 'json' };
import statsSchema from '../../gateway/schemas/gateway-stats.schema.json' with { type: 'json' };

const NOW = 1_795_000_000_000;
const decoder = new WireDecoder({ maxAgeMs: 400 * 86_400_000, maxAheadMs: 3_600_000, maxBytes: 64 * 1024, now: () => NOW });
const cal = { status: 'valid', certificate: 'C-1', due: '2027-01-01', daysToDue: 36, traceable: true };
const reading = (over: Record<string, unknown> = {}) => ({
  channel: 'temperature',
  quantity: 'temperature',
  unit: '°C',
  ts: NOW - 1000,
  seq: 1,
  raw: 25.5,
  value: 25.5,
  quality: 'good',
  cal,
  ...over,
});
const batch = (over: Record<string, unknown> = {}, r: Record<string, unknown> = {}) => ({
  v: 1,
  site: 'labA',
  gateway: 'gw1',
  instrument: 'bath-01',
  epoch: 'e1',
  readings: [reading(r)],
  ...over,
});
const DATA = 'mg/labA/gw1/bath-01/data';
const decode = (topic: string, doc: unknown): WireMessage | Rejection =>
  decoder.decode(topic, Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)));
const reason = (m: WireMessage | Rejection): string | undefined => ('reason' in m ? m.reason : undefined);

describe('the wire decoder', () => {
  it('accepts what a gateway publishes, of each kind', () => {
    expect(decode(DATA, batch())).toMatchObject({ kind: 'data', batch: { site: 'labA', readings: [{ seq: 1 }] } });
    const event = {
      v: 1,
      site: 'labA',
      gateway: 'gw1',
      instrument: 'bath-01',
      kind: 'transition',
      ts: NOW,
      from: 'valid',
      to: 'expired',
      certificate: null,
      due: null,
      reason: 'calendar',
    };
    expect(decode('mg/labA/gw1/bath-01/event', event)).toMatchObject({ kind: 'event' });
    const stats = {
      v: 1,
      site: 'labA',
      gateway: 'gw1',
      ts: NOW,
      polled: 1,
      published: 1,
      errors: 0,
      timeouts: 0,
      skippedCycles: 0,
      rssMB: 80.5,
      cpuShare: 0.1,
    };
    expect(decode('mg/labA/gw1/stats', stats)).toMatchObject({ kind: 'stats' });
  });

  it('ignores a field it does not know (a newer gateway): the message is taken, the field never reaches the store', () => {
    const m = decode(DATA, batch({ epoch: 'e1', extra: { a: 1 } }, { unitCode: 'CEL' }));
    expect(m).toMatchObject({ kind: 'data' });
    const b = (m as Extract<WireMessage, { kind: 'data' }>).batch as unknown as Record<string, unknown>;
    expect(b).not.toHaveProperty('extra');
    expect((b.readings as Record<string, unknown>[])[0]).not.toHaveProperty('unitCode');
  });

  it.each([
    ['daysToDue as an injection string', batch({}, { cal: { ...cal, daysToDue: '1i 1796000000000\nreading,site=labB value=123.456' } }), 'schema'],
    ['traceable as a number', batch({}, { cal: { ...cal, traceable: 1 } }), 'schema'],
    ['reason as an array', batch({}, { quality: 'bad', raw: null, value: null, reason: ['a"'] }), 'schema'],
    ['a newline in a unit', batch({}, { unit: 'V\nx' }), 'schema'],
    ['a trailing backslash in a quantity', batch({}, { quantity: 'q\\' }), 'schema'],
    ['a NUL in a channel', batch({}, { channel: 'a\u0000' }), 'schema'],
    ['an empty channel', batch({}, { channel: '' }), 'schema'],
    ['a site that is no id', batch({ site: 'lab B' }), 'schema'],
    ['an over-long certificate', batch({}, { cal: { ...cal, certificate: 'C'.repeat(257) } }), 'schema'],
    [
      'Infinity (1e999)',
      `{"v":1,"site":"labA","gateway":"gw1","instrument":"bath-01","readings":[${JSON.stringify(reading()).replace('"raw":25.5', '"raw":1e999')}]}`,
      'schema',
    ],
    ['a 1970 timestamp', batch({}, { ts: 1000 }), 'timestamp'],
    ['a timestamp a week ahead', batch({}, { ts: NOW + 7 * 86_400_000 }), 'timestamp'],
    ['another site than its topic', batch({ site: 'labB' }), 'topic_identity'],
    ['another instrument than its topic', batch({ instrument: 'bath-02' }), 'topic_identity'],
    ['not JSON', '{"v":1,', 'not_json'],
    ['a huge message', batch({}, { reason: 'x'.repeat(70 * 1024) }), 'too_large'],
  ])('refuses %s', (_what, doc, expected) => {
    expect(reason(decode(DATA, doc))).toBe(expected);
  });

  it('checks the gateway of a stats topic and refuses negative or non-integer counters', () => {
    const stats = {
      v: 1,
      site: 'labA',
      gateway: 'gw1',
      ts: NOW,
      polled: 1,
      published: 1,
      errors: 0,
      timeouts: 0,
      skippedCycles: 0,
      rssMB: 80.5,
      cpuShare: 0.1,
    };
    expect(reason(decode('mg/labA/gw2/stats', stats))).toBe('topic_identity');
    expect(reason(decode('mg/labA/gw1/stats', { ...stats, polled: '1i,x=1' }))).toBe('schema');
    expect(reason(decode('mg/labA/gw1/stats', { ...stats, errors: 1.5 }))).toBe('schema');
  });

  it('refuses event fields of the wrong type (injection through asFoundError, mpe, suspectFrom)', () => {
    const event = {
      v: 1,
      site: 'labA',
      gateway: 'gw1',
      instrument: 'bath-01',
      kind: 'suspect',
      ts: NOW,
      from: null,
      to: 'out_of_tolerance',
      certificate: 'C',
      due: null,
      reason: 'r',
    };
    for (const over of [{ asFoundError: '1 0\nx' }, { mpe: [1] }, { suspectFrom: '0i' }]) {
      expect(reason(decode('mg/labA/gw1/bath-01/event', { ...event, ...over }))).toBe('schema');
    }
  });

  it("holds the config's id pattern in every wire schema, so what validate accepts is what the ingest takes", () => {
    for (const s of [batchSchema, eventSchema, statsSchema]) expect(s.$defs.id.pattern).toBe(Id.pattern);
  });
});

describe('whatever the decoder accepts renders to exactly one line per reading', () => {
  const SPECIAL = [',', '=', ' ', '"', '\\', '\n', '\r', '\u0000', '1i 1\nreading,site=labB value=1 1', '°'];
  const hostileValue = fc.oneof(
    fc.anything(),
    fc.string({ unit: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })), maxLength: 20 }),
    fc.double(),
    fc.integer(),
    fc.constant(null),
  );
  const paths = [
    'site',
    'gateway',
    'instrument',
    'epoch',
    'channel',
    'quantity',
    'unit',
    'ts',
    'seq',
    'raw',
    'value',
    'quality',
    'reason',
    'u',
    'k',
    'cal.status',
    'cal.certificate',
    'cal.due',
    'cal.daysToDue',
    'cal.traceable',
    'extra',
  ];

  it('a mutated message is refused, or every line it renders is one point', () => {
    const renderer = new LineProtocolRenderer('reading');
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 1, maxLength: 4 }), (mutations) => {
        const doc = batch() as Record<string, unknown> & { readings: Record<string, unknown>[] };
        for (const [path, v] of mutations) {
          const r = doc.readings[0]!;
          if (['site', 'gateway', 'instrument', 'epoch', 'extra'].includes(path)) doc[path] = v;
          else if (path.startsWith('cal.')) r.cal = { ...(r.cal as object), [path.slice(4)]: v };
          else r[path] = v;
        }
        const m = decode(DATA, doc);
        if ('reason' in m) return;
        accepted++;
        const out: string[] = [];
        expect(() => renderer.render((m as Extract<WireMessage, { kind: 'data' }>).batch, out)).not.toThrow();
        expect(out).toHaveLength(1);
        expect(splitLines(out.join('\n'))).toHaveLength(1);
        // epoch is optional (a gateway without a spool): a mutation that removes it leaves no epoch tag.
        expect(out[0]).toMatch(
          /^reading,cal_status=[a-z_]+,channel=[A-Za-z0-9_.-]+,(epoch=[A-Za-z0-9_-]+,)?gateway=gw1,instrument=bath-01,quality=(good|uncertain|bad),/,
        );
      }),
      { numRuns: 2000 },
    );
    // Both outcomes happened: the property said something about accepted messages.
    expect(accepted).toBeGreaterThan(50);
  });
});
