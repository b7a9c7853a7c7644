/** node-opcua DataValues → UaSamples: the one place that reads Variants. */
import { DataType, VariantArrayType, type DataValue, type Variant } from 'node-opcua-client';
import type { ReadingValue } from '../../gateway/reading.js';
import { qualityOf, type UaSample } from './sample.js';

const TWO_32 = 2 ** 32;

export function toSample(dv: DataValue): UaSample {
  const status = dv.statusCode.value;
  const sample: UaSample = {
    value: null,
    status,
    statusName: baseName(dv.statusCode.name),
    sourceTs: dv.sourceTimestamp ? dv.sourceTimestamp.getTime() : null,
    serverTs: dv.serverTimestamp ? dv.serverTimestamp.getTime() : null,
  };
  if (qualityOf(status) === 'bad') return sample;
  const decoded = decodeVariant(dv.value);
  if (typeof decoded === 'object' && decoded !== null) sample.unsupported = decoded.unsupported;
  else sample.value = decoded;
  return sample;
}

/** `UncertainLastUsableValue#Overflow` (info bits appended) → `UncertainLastUsableValue`. */
function baseName(name: string): string {
  const hash = name.indexOf('#');
  return hash < 0 ? name : name.slice(0, hash);
}

export function decodeVariant(v: Variant | null | undefined): ReadingValue | { unsupported: string } {
  if (!v || v.dataType === DataType.Null) return null;
  if (v.arrayType !== VariantArrayType.Scalar) {
    return { unsupported: `${VariantArrayType[v.arrayType]} of ${DataType[v.dataType]}` };
  }
  const x: unknown = v.value;
  switch (v.dataType) {
    case DataType.Boolean:
      return Boolean(x);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return x as number;
    case DataType.Int64:
    case DataType.UInt64: {
      // node-opcua keeps 64-bit integers as [high, low] words; a double is exact up to 2^53.
      const [high = 0, low = 0] = x as number[];
      return (v.dataType === DataType.Int64 ? high | 0 : high) * TWO_32 + low;
    }
    case DataType.String:
      return x === null ? null : String(x);
    case DataType.LocalizedText:
      return (x as { text?: string | null } | null)?.text ?? null;
    case DataType.DateTime:
      return x instanceof Date ? x.toISOString() : null;
    case DataType.StatusCode:
      return (x as { name: string }).name;
    default:
      return { unsupported: DataType[v.dataType] ?? `data type ${v.dataType}` };
  }
}
