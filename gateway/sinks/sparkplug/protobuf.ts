/**
 * The few protobuf wire-format primitives the Sparkplug B payload needs, so the gateway carries no
 * protobuf runtime (protobufjs is only a dependency of the test's independent decoder,
 * sparkplug-payload). Integers up to 2^53 (timestamps in ms, aliases, seq) stay exact.
 */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private chunks: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(10);

  varint(value: number): this {
    let v = value;
    let i = 0;
    // Division instead of >>> 7: bit operators truncate to 32 bits.
    while (v >= 0x80) {
      this.scratch[i++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.scratch[i++] = v;
    this.chunks.push(Buffer.from(this.scratch.subarray(0, i)));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  uint(field: number, value: number): this {
    return this.tag(field, WIRE_VARINT).varint(value);
  }

  bool(field: number, value: boolean): this {
    return this.uint(field, value ? 1 : 0);
  }

  double(field: number, value: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(value);
    this.tag(field, WIRE_FIXED64);
    this.chunks.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, WIRE_BYTES).varint(value.length);
    this.chunks.push(value);
    return this;
  }

  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One decoded field: varints as numbers, length-delimited fields as bytes. */
export interface ProtoField {
  field: number;
  wire: number;
  value: number | Buffer;
}

/** Splits a message into its fields; throws on a truncated or malformed buffer. */
export function readFields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
      if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: number | Buffer;
    if (wire === WIRE_VARINT) value = varint();
    else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      const n = wire === WIRE_FIXED64 ? 8 : 4;
      if (pos + n > buf.length) throw new Error('protobuf: truncated fixed field');
      value = buf.subarray(pos, pos + n);
      pos += n;
    } else if (wire === WIRE_BYTES) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('protobuf: truncated bytes field');
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
    out.push({ field, wire, value });
  }
  return out;
}
