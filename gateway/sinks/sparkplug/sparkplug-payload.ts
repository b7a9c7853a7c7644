import { ProtoWriter, readFields, WIRE_BYTES, WIRE_VARINT } from './protobuf.js';

/**
 * Sparkplug B payloads (org.eclipse.tahu.protobuf.Payload of sparkplug_b.proto), the subset
 * metrogate sends: metrics with name or alias, timestamp, datatype, scalar value or null,
 * is_historical, and a property set of scalars.
 */
export const DataType = {
  Int32: 3,
  Int64: 4,
  UInt64: 8,
  Double: 10,
  Boolean: 11,
  String: 12,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type ScalarValue = number | boolean | string | null;

export interface PropertyValue {
  type: DataTypeCode;
  value: ScalarValue;
}

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype: DataTypeCode;
  value: ScalarValue;
  isHistorical?: boolean;
  properties?: Record<string, PropertyValue>;
}

export interface Payload {
  timestamp: number;
  /** Absent only in NDEATH. */
  seq?: number;
  metrics: Metric[];
}

/** Writes value fields numbered as in Metric (10..15) or PropertyValue (3..8): base = the int field. */
function writeValue(w: ProtoWriter, base: number, type: DataTypeCode, value: ScalarValue): void {
  switch (type) {
    case DataType.Int32:
      // Signed 32-bit values travel as their two's complement in the uint32 field.
      w.uint(base, Number(value) >>> 0);
      break;
    case DataType.Int64:
    case DataType.UInt64:
      if (Number(value) < 0) throw new RangeError(`negative value ${String(value)} for a 64-bit metric`);
      w.uint(base + 1, Number(value));
      break;
    case DataType.Double:
      w.double(base + 3, Number(value));
      break;
    case DataType.Boolean:
      w.bool(base + 4, value === true);
      break;
    case DataType.String:
      w.string(base + 5, String(value));
      break;
  }
}

function writeProperties(w: ProtoWriter, props: Record<string, PropertyValue>): void {
  const keys = Object.keys(props);
  for (const k of keys) w.string(1, k);
  for (const k of keys) {
    const p = props[k]!;
    w.message(2, (pv) => {
      pv.uint(1, p.type);
      if (p.value === null) pv.bool(2, true);
      else writeValue(pv, 3, p.type, p.value);
    });
  }
}

function writeMetric(w: ProtoWriter, m: Metric): void {
  if (m.name !== undefined) w.string(1, m.name);
  if (m.alias !== undefined) w.uint(2, m.alias);
  if (m.timestamp !== undefined) w.uint(3, m.timestamp);
  w.uint(4, m.datatype);
  if (m.isHistorical) w.bool(5, true);
  // NaN and ±Infinity go as null, as in the JSON payload.
  const isNull = m.value === null || (typeof m.value === 'number' && !Number.isFinite(m.value));
  if (isNull) w.bool(7, true);
  if (m.properties) w.message(9, (pw) => writeProperties(pw, m.properties!));
  if (!isNull) writeValue(w, 10, m.datatype, m.value);
}

export function encodeSparkplug(payload: Payload): Buffer {
  const w = new ProtoWriter();
  w.uint(1, payload.timestamp);
  for (const m of payload.metrics) w.message(2, (mw) => writeMetric(mw, m));
  if (payload.seq !== undefined) w.uint(3, payload.seq);
  return w.finish();
}

/**
 * Reads the metrics of a command (NCMD) far enough to act on it: name or alias and a boolean
 * value. Other value types are reported as null.
 */
export function decodeCommandMetrics(buf: Buffer): { name?: string; alias?: number; value: boolean | null }[] {
  const metrics: { name?: string; alias?: number; value: boolean | null }[] = [];
  for (const f of readFields(buf)) {
    if (f.field !== 2 || f.wire !== WIRE_BYTES) continue;
    const m: { name?: string; alias?: number; value: boolean | null } = { value: null };
    for (const mf of readFields(f.value as Buffer)) {
      if (mf.field === 1 && mf.wire === WIRE_BYTES) m.name = (mf.value as Buffer).toString('utf8');
      else if (mf.field === 2 && mf.wire === WIRE_VARINT) m.alias = mf.value as number;
      else if (mf.field === 14 && mf.wire === WIRE_VARINT) m.value = mf.value !== 0;
    }
    metrics.push(m);
  }
  return metrics;
}
