import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DataType, decodeCommandMetrics, encodeSparkplug } from '../../gateway/sinks/sparkplug/sparkplug-payload.js';

// Eclipse Tahu's own encoder/decoder (protobufjs underneath): the independent check of ours.
const tahu = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0') as {
  encodePayload(p: object): Uint8Array;
  decodePayload(b: Uint8Array): { timestamp?: unknown; seq?: unknown; metrics?: Record<string, unknown>[] };
};

/** Long (protobufjs) or number → number. */
const n = (v: unknown): number => (typeof v === 'number' ? v : Number((v as { toString(): string }).toString()));

describe('Sparkplug B payload encoding, decoded by Eclipse Tahu (sparkplug-payload)', () => {
  it('carries timestamp, seq and metrics of every type metrogate sends, exactly', () => {
    const ts = 1_764_201_234_567; // > 2^32: the 64-bit varint path
    const buf = encodeSparkplug({
      timestamp: ts,
      seq: 255,
      metrics: [
        { name: 'temperature', alias: 7, timestamp: ts - 1, datatype: DataType.Double, value: 25.000123 },
        { alias: 8, timestamp: ts, datatype: DataType.Boolean, value: true },
        { alias: 9, timestamp: ts, datatype: DataType.String, value: 'MG-DMM-2026 °C µV' },
        { name: 'Calibration/daysToDue', alias: 10, timestamp: ts, datatype: DataType.Int32, value: -190 },
        { name: 'bdSeq', datatype: DataType.Int64, value: 3 },
        { name: 'Readings/lastSeq', alias: 11, timestamp: ts, datatype: DataType.Int64, value: 2 ** 40 + 5 },
        { alias: 12, timestamp: ts, datatype: DataType.Double, value: null },
        { alias: 13, timestamp: ts, datatype: DataType.Double, value: Number.NaN },
        {
          alias: 14,
          timestamp: ts,
          datatype: DataType.Double,
          value: -0.5,
          isHistorical: true,
          properties: { Quality: { type: DataType.Int32, value: 64 }, engUnit: { type: DataType.String, value: 'kPa' } },
        },
      ],
    });
    const p = tahu.decodePayload(buf);
    expect(n(p.timestamp)).toBe(ts);
    expect(n(p.seq)).toBe(255);
    const m = p.metrics!;
    expect(m[0]).toMatchObject({ name: 'temperature', type: 'Double', value: 25.000123 });
    expect(n(m[0]!.alias)).toBe(7);
    expect(n(m[0]!.timestamp)).toBe(ts - 1);
    expect(m[1]).toMatchObject({ type: 'Boolean', value: true });
    expect(m[1]!.name).toBeUndefined();
    expect(m[2]).toMatchObject({ type: 'String', value: 'MG-DMM-2026 °C µV' });
    expect(m[3]).toMatchObject({ name: 'Calibration/daysToDue', type: 'Int32', value: -190 });
    expect(m[4]).toMatchObject({ name: 'bdSeq', type: 'Int64' });
    expect(n(m[4]!.value)).toBe(3);
    expect(m[4]!.alias).toBeUndefined();
    expect(n(m[5]!.value)).toBe(2 ** 40 + 5);
    expect(m[6]).toMatchObject({ type: 'Double', value: null });
    expect(m[7]).toMatchObject({ type: 'Double', value: null });
    expect(m[8]).toMatchObject({ type: 'Double', value: -0.5, isHistorical: true });
    expect(m[8]!.properties).toMatchObject({ Quality: { type: 'Int32', value: 64 }, engUnit: { type: 'String', value: 'kPa' } });
  });

  it('an NDEATH has no seq', () => {
    const p = tahu.decodePayload(encodeSparkplug({ timestamp: 1, metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 0 }] }));
    expect(p.seq).toBeUndefined();
    expect(p.metrics![0]).toMatchObject({ name: 'bdSeq', type: 'Int64' });
  });

  it('reads a rebirth command that Tahu encoded, by name or by alias', () => {
    const byName = tahu.encodePayload({ timestamp: 5, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
    expect(decodeCommandMetrics(Buffer.from(byName))).toEqual([{ name: 'Node Control/Rebirth', value: true }]);
    const byAlias = tahu.encodePayload({
      timestamp: 5,
      metrics: [
        { alias: 1, type: 'Boolean', value: false },
        { name: 'other', type: 'Int32', value: 7 },
      ],
    });
    expect(decodeCommandMetrics(Buffer.from(byAlias))).toEqual([
      { alias: 1, value: false },
      { name: 'other', value: null },
    ]);
    expect(() => decodeCommandMetrics(Buffer.from([0x12, 0x05, 0x0a]))).toThrow(/truncated/);
  });
});
