import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { calEventLine, type WireCalEvent } from '../../gateway/influx/event-lines.js';
import { InfluxWriter } from '../../gateway/influx/influx-writer.js';
import { LineProtocolRenderer } from '../../gateway/influx/line-protocol.js';
import { LineProtocolError } from '../../gateway/influx/line-protocol-escape.js';
import type { CalStatus } from '../../gateway/reading.js';
import type { WireReading } from '../../gateway/sinks/mqtt/payload.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';

/**
 * Random strings, rendered, written to a real InfluxDB 1.x and read back: the point stored is the
 * point rendered, or the renderer refused it (LineProtocolError) and nothing was written. The
 * strings lean on what line protocol treats specially.
 */
const SPECIAL = [',', '=', ' ', '"', "'", '\\', '\n', '\r', '\t', '\u0000', '\u007f', '#', '°', 'µ', '³', '测', '🙂'];
const char = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIAL), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 5 },
);
const text = fc.string({ unit: char, maxLength: 12 });
const number = fc.double({ noNaN: true, noDefaultInfinity: true });
const STATUSES: CalStatus[] = ['valid', 'due_soon', 'expired', 'out_of_tolerance', 'limited', 'out_of_service', 'quarantined', 'uncalibrated'];

const readingArb = fc.record({
  quantity: text,
  unit: text,
  value: fc.oneof(number, fc.boolean(), text, fc.constant(null)),
  u: fc.option(number.map(Math.abs), { nil: undefined }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  reason: fc.option(text, { nil: undefined }),
  status: fc.constantFrom(...STATUSES),
  certificate: fc.option(text, { nil: null }),
  daysToDue: fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }), { nil: null }),
  traceable: fc.boolean(),
});

/** A tag InfluxDB 1.x can hold: non-empty (empty ones are left out) and no backslash or control character. */
const representableTag = (s: string): boolean => !/[\u0000-\u001f\u007f\\]/.test(s);
/** How InfluxDB gives back what was written: -0 as 0, booleans as 1/0 (the renderer's rule). */
const asStored = (v: number | boolean): number => (typeof v === 'boolean' ? Number(v) : v === 0 ? 0 : v);

describe('line protocol round trip through a real InfluxDB', () => {
  const url = inject('influxUrl');
  const database = uniqueName('roundtrip');
  const writer = new InfluxWriter({ url, database });
  const base = Date.now() - 3_600_000;
  let run = 0;

  it('a reading comes back exactly as rendered, or the renderer refuses it and writes nothing', async () => {
    await influxClient({ url, database }).createDatabase(database);
    const renderer = new LineProtocolRenderer('reading');
    let written = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(readingArb, { minLength: 1, maxLength: 15 }), async (generated) => {
        const instrument = `run-${++run}`;
        const lines: string[] = [];
        const expected: { ts: number; r: (typeof generated)[number] }[] = [];
        generated.forEach((g, i) => {
          const reading: WireReading = {
            channel: `ch${i}`,
            quantity: g.quantity,
            unit: g.unit,
            ts: base + run * 100 + i,
            seq: g.seq,
            raw: g.value,
            value: g.value,
            quality: 'good',
            cal: { status: g.status, certificate: g.certificate, due: null, daysToDue: g.daysToDue, traceable: g.traceable },
          };
          if (g.u !== undefined) reading.u = g.u;
          if (g.reason !== undefined) reading.reason = g.reason;
          const ok = representableTag(g.quantity) && representableTag(g.unit);
          const out: string[] = [];
          if (!ok) {
            expect(() => renderer.render({ site: 'rt', instrument, readings: [reading] }, out)).toThrow(LineProtocolError);
            expect(out).toEqual([]);
            refused++;
            return;
          }
          renderer.render({ site: 'rt', instrument, readings: [reading] }, out);
          lines.push(...out);
          expected.push({ ts: reading.ts, r: g });
        });
        if (lines.length === 0) return;
        await writer.write(lines);
        written += lines.length;
        const rows = rowsOf(await influxSeries(url, database, `SELECT * FROM "reading" WHERE "instrument" = '${instrument}'`));
        expect(rows).toHaveLength(expected.length);
        // SELECT * has no column for a field no point of the measurement has yet: read it as null.
        const byTime = new Map(rows.map((row) => [row.time as number, row]));
        for (const { ts, r } of expected) {
          const row = byTime.get(ts)!;
          expect(row, `point at ${ts}`).toBeDefined();
          expect(row.quantity ?? '').toBe(r.quantity);
          expect(row.unit ?? '').toBe(r.unit);
          expect(row.site).toBe('rt');
          expect(row.cal_status).toBe(r.status);
          expect(row.seq).toBe(r.seq);
          expect(row.traceable).toBe(r.traceable);
          expect(row.days_to_due ?? null).toBe(r.daysToDue);
          expect(row.certificate ?? null).toBe(r.certificate);
          expect(row.reason ?? null).toBe(r.reason ?? null);
          expect(row.u ?? null).toBe(r.u === undefined ? null : asStored(r.u));
          if (typeof r.value === 'string') expect(row.text).toBe(r.value);
          else expect(row.value ?? null).toBe(r.value === null ? null : asStored(r.value));
        }
      }),
      { numRuns: 40 },
    );
    // Both branches ran: some points were stored and some tags were refused.
    expect(written).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);

  it('a calibration event comes back with its reason and certificate exactly as sent', async () => {
    await influxClient({ url, database }).createDatabase(database);
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: null }), number, async (reason, certificate, asFoundError) => {
        const instrument = `ev-${++run}`;
        const event: WireCalEvent = {
          v: 1,
          site: 'rt',
          gateway: 'g',
          instrument,
          kind: 'suspect',
          ts: base + run,
          from: null,
          to: 'out_of_tolerance',
          certificate,
          due: null,
          reason,
          suspectFrom: 0,
          suspectTo: base,
          asFoundError,
        };
        await writer.write([calEventLine(event)]);
        const [row] = rowsOf(await influxSeries(url, database, `SELECT * FROM "cal_event" WHERE "instrument" = '${instrument}'`));
        expect(row).toMatchObject({ reason, certificate: certificate ?? '', as_found_error: asStored(asFoundError), suspect_from: 0, suspect_to: base });
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
