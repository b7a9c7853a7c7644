import { describe, expect, it } from 'vitest';
import { calEventLine, type WireCalEvent } from '../../gateway/influx/event-lines.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { LineProtocolError } from '../../gateway/influx/line-protocol-escape.js';
import type { Reading } from '../../gateway/reading.js';
import type { WireBatch, WireReading } from '../../gateway/sinks/mqtt/payload.js';

const cal = { status: 'valid' as const, certificate: 'C-1', due: '2027-01-01', daysToDue: 36, traceable: true };
const r = (over: Partial<WireReading>): WireReading => ({
  channel: 'temperature',
  quantity: 'temperature',
  unit: '°C',
  ts: 1_795_000_000_123,
  seq: 1,
  raw: 25.5,
  value: 25.5,
  quality: 'good',
  cal,
  ...over,
});
const batch = (readings: WireReading[], site = 'lab', instrument = 'bath-01'): WireBatch => ({ v: 1, site, gateway: 'g', instrument, epoch: 'e1', readings });

function render(b: WireBatch): string[] {
  const out: string[] = [];
  new LineProtocolRenderer('reading').render(b, out);
  return out;
}

describe('line protocol', () => {
  it('renders sorted low-cardinality tags (the stream identity included), per-reading fields and the source timestamp (ms, written in ns)', () => {
    expect(render(batch([r({ u: 0.002, k: 2 })]))).toEqual([
      'reading,cal_status=valid,channel=temperature,epoch=e1,gateway=g,instrument=bath-01,quality=good,quantity=temperature,site=lab,unit=°C ' +
        'seq=1i,traceable=true,value=25.5,raw=25.5,u=0.002,k=2,days_to_due=36i,certificate="C-1" 1795000000123000000',
    ]);
  });

  it('escapes spaces, commas and equals signs in tags, and quotes in string fields', () => {
    const [line] = render(batch([r({ channel: 'a b,c=d', unit: 'm s', cal: { ...cal, certificate: 'say "hi"' } })], 'site x', 'i,1'));
    expect(line).toContain('channel=a\\ b\\,c\\=d');
    expect(line).toContain('instrument=i\\,1');
    expect(line).toContain('site=site\\ x');
    expect(line).toContain('unit=m\\ s');
    expect(line).toContain('certificate="say \\"hi\\""');
  });

  it('writes booleans as 1/0 floats and strings to a text field, so field types never conflict', () => {
    const lines = render(batch([r({ channel: 'on', raw: true, value: true }), r({ channel: 'sn', raw: 'SN 1', value: 'SN 1' })]));
    expect(lines[0]).toContain(' seq=1i,traceable=true,value=1,raw=1,');
    expect(lines[1]).toContain(',text="SN 1",');
    expect(lines[1]).not.toContain('value=');
  });

  it('keeps a bad reading as a point with its reason and no value, and leaves out an empty unit tag', () => {
    const [line] = render(
      batch([r({ unit: '', raw: null, value: null, quality: 'bad', reason: 'timeout', cal: { ...cal, status: 'expired', traceable: false, daysToDue: -3 } })]),
    );
    expect(line).toBe(
      'reading,cal_status=expired,channel=temperature,epoch=e1,gateway=g,instrument=bath-01,quality=bad,quantity=temperature,site=lab ' +
        'seq=1i,traceable=false,days_to_due=-3i,certificate="C-1",reason="timeout" 1795000000123000000',
    );
  });

  it('leaves out gateway and epoch for a batch without them (the direct sink, a gateway older than epochs)', () => {
    const { epoch: _e, ...old } = batch([r({})]);
    const [line] = render({ ...old, gateway: '' });
    expect(line).toMatch(/^reading,cal_status=valid,channel=temperature,instrument=bath-01,/);
  });

  it('drops non-finite numbers instead of writing invalid line protocol', () => {
    const [line] = render(batch([r({ raw: null, value: null })]));
    expect(line).not.toMatch(/value=|raw=/);
  });
});

describe('line protocol refuses what it cannot carry, and renders every field by its type', () => {
  it.each([
    ['a newline in a tag', { unit: 'V\nreading,site=labB value=123.456 1' }],
    ['a carriage return in a tag', { quantity: 'x\r' }],
    ['a NUL in a tag', { channel: 'a\u0000b' }],
    ['a trailing backslash in a tag', { unit: 'V\\' }],
  ])('%s throws, and nothing of the batch is rendered', (_what, over) => {
    const out: string[] = ['earlier line'];
    const renderer = new LineProtocolRenderer('reading');
    expect(() => renderer.render(batch([r({}), r(over as Partial<WireReading>)]), out)).toThrow(LineProtocolError);
    expect(out).toEqual(['earlier line']);
  });

  it.each([
    ['daysToDue as an injection string', { cal: { ...cal, daysToDue: '1i 1796000000000\nreading,site=labB value=123.456' as unknown as number } }],
    ['traceable as a number', { cal: { ...cal, traceable: 1 as unknown as boolean } }],
    ['seq as a float', { seq: 1.5 }],
    ['ts as a string', { ts: '1 2' as unknown as number }],
    ['reason as an array', { quality: 'bad' as const, reason: ['a"b'] as unknown as string }],
  ])('%s throws instead of being written raw', (_what, over) => {
    expect(() => render(batch([r(over)]))).toThrow(LineProtocolError);
  });

  it('escapes backslashes and quotes in string fields and keeps newlines inside the quotes', () => {
    const [line] = render(batch([r({ quality: 'bad', raw: null, value: null, reason: 'a\\"b\nc\\' })]));
    expect(line).toContain(',reason="a\\\\\\"b\nc\\\\" ');
  });
});

describe('why a reading is not traceable (issue 12)', () => {
  it('cal.reason becomes the cal_reason field; it survives the spool', async () => {
    const { decodeBatch, encodeBatch } = await import('../../gateway/spool/batch-codec.js');
    const out = { ...cal, traceable: false, reason: 'outside the validity range' };
    const [line] = render(batch([r({ cal: out })]));
    expect(line).toContain(',certificate="C-1",cal_reason="outside the validity range" 1795000000123000000');
    const { u: _u, k: _k, ...wire } = r({ cal: out });
    const reading: Reading = { site: 'lab', instrument: 'bath-01', ...wire };
    const back = decodeBatch(encodeBatch({ site: 'lab', instrument: 'bath-01', readings: [reading] }));
    expect(back.readings[0]!.cal).toEqual(out);
    expect(decodeBatch(encodeBatch({ site: 'lab', instrument: 'bath-01', readings: [{ ...reading, cal }] })).readings[0]!.cal).toEqual(cal);
  });
});

describe('events of one series in one millisecond stay apart (InfluxDB overwrites equal tags and timestamp)', () => {
  const ts = 1_795_000_000_123;
  const event = (over: Partial<WireCalEvent>): WireCalEvent => ({
    v: 1,
    site: 'lab',
    gateway: 'g',
    instrument: 'bath-01',
    kind: 'suspect',
    ts,
    from: null,
    to: 'out_of_tolerance',
    certificate: 'C-1',
    due: '2027-01-01',
    reason: 'as found out of tolerance',
    ...over,
  });
  const stamp = (line: string) => line.slice(line.lastIndexOf(' ') + 1);

  it('check result n sits n ns into its millisecond', () => {
    const result = (n: number) =>
      event({
        kind: 'check',
        to: 'valid',
        check: 'cell',
        result: {
          ...{ kind: 'standard', n, measured: 25, reference: 25, referenceU: 0.01, U: null, difference: 0, rule: 'En', score: 0, limit: 1, verdict: 'pass' },
          ...{ z: null, centre: null, sigma: null, cusumHigh: 0, cusumLow: 0, tripped: [], passed: true, quarantined: false },
        },
      });
    expect([1, 2, 1_000_001].map((n) => stamp(calEventLine(result(n))))).toEqual(['1795000000123000001', '1795000000123000002', '1795000000123000001']);
  });

  it('a cal_event sits in its kind slot at an offset of its content: the same event on the same point, another one apart', () => {
    const first = stamp(calEventLine(event({ certificate: 'C-1' })));
    expect(stamp(calEventLine(event({ certificate: 'C-1' })))).toBe(first);
    expect(stamp(calEventLine(event({ certificate: 'C-2' })))).not.toBe(first);
    const slot = (e: WireCalEvent) => Math.floor(Number(BigInt(stamp(calEventLine(e))) - BigInt(ts) * 1_000_000n) / 200_000);
    expect([event({}), event({ kind: 'transition', from: 'valid' }), event({ kind: 'impact_report', reportFile: 'r.md' })].map(slot)).toEqual([0, 1, 2]);
  });
});
