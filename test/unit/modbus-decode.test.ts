import { describe, it, expect } from 'vitest';
import { BYTE_ORDERS, type ByteOrder, type RegisterFunction } from '../../drivers/modbus/config.js';
import { applyScale, decodeBit, decodeRegisters } from '../../drivers/modbus/decode.js';
import { encodeRegistersToBytes, encodeValue } from '../../drivers/modbus/encode.js';
import { parseRegisterType } from '../../drivers/modbus/register-type.js';

/** Register words to wire bytes, written with Buffer so it does not depend on the code under test. */
function wire(...words: number[]): Uint8Array {
  const buffer = Buffer.alloc(words.length * 2);
  words.forEach((word, k) => buffer.writeUInt16BE(word, 2 * k));
  return buffer;
}

const spec = (type: string, fn: RegisterFunction = 'holding') => parseRegisterType(type, fn);

/** Big-endian words of `raw` as Node's Buffer writes it, to check the hand-written ABCD vectors. */
function nodeWords(type: string, raw: number | bigint): number[] {
  const size = { int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4 }[type] ?? 8;
  const b = Buffer.alloc(size);
  if (type === 'int16') b.writeInt16BE(Number(raw));
  if (type === 'uint16') b.writeUInt16BE(Number(raw));
  if (type === 'int32') b.writeInt32BE(Number(raw));
  if (type === 'uint32') b.writeUInt32BE(Number(raw));
  if (type === 'float32') b.writeFloatBE(Number(raw));
  if (type === 'int64') b.writeBigInt64BE(BigInt(raw));
  if (type === 'uint64') b.writeBigUInt64BE(BigInt(raw));
  if (type === 'float64') b.writeDoubleBE(Number(raw));
  return Array.from({ length: size / 2 }, (_, k) => b.readUInt16BE(2 * k));
}

type Orders = [ABCD: number[], CDAB: number[], BADC: number[], DCBA: number[]];

// Worked out by hand from the big-endian bytes (A B C D ...) of each value: [type, value, words].
const VECTORS: [string, number | bigint, Orders][] = [
  ['int16', -1234, [[0xfb2e], [0xfb2e], [0x2efb], [0x2efb]]],
  ['uint16', 0xabcd, [[0xabcd], [0xabcd], [0xcdab], [0xcdab]]],
  [
    'int32',
    -123456789,
    [
      [0xf8a4, 0x32eb],
      [0x32eb, 0xf8a4],
      [0xa4f8, 0xeb32],
      [0xeb32, 0xa4f8],
    ],
  ],
  [
    'uint32',
    3000000000,
    [
      [0xb2d0, 0x5e00],
      [0x5e00, 0xb2d0],
      [0xd0b2, 0x005e],
      [0x005e, 0xd0b2],
    ],
  ],
  [
    'float32',
    123.456,
    [
      [0x42f6, 0xe979],
      [0xe979, 0x42f6],
      [0xf642, 0x79e9],
      [0x79e9, 0xf642],
    ],
  ],
  [
    'float32',
    -1.5,
    [
      [0xbfc0, 0x0000],
      [0x0000, 0xbfc0],
      [0xc0bf, 0x0000],
      [0x0000, 0xc0bf],
    ],
  ],
  [
    'int64',
    -1234567890123456789n,
    [
      [0xeedd, 0xef0b, 0x8216, 0x7eeb],
      [0x7eeb, 0x8216, 0xef0b, 0xeedd],
      [0xddee, 0x0bef, 0x1682, 0xeb7e],
      [0xeb7e, 0x1682, 0x0bef, 0xddee],
    ],
  ],
  [
    'int64',
    -2n,
    [
      [0xffff, 0xffff, 0xffff, 0xfffe],
      [0xfffe, 0xffff, 0xffff, 0xffff],
      [0xffff, 0xffff, 0xffff, 0xfeff],
      [0xfeff, 0xffff, 0xffff, 0xffff],
    ],
  ],
  [
    'uint64',
    0xfedcba9876543210n,
    [
      [0xfedc, 0xba98, 0x7654, 0x3210],
      [0x3210, 0x7654, 0xba98, 0xfedc],
      [0xdcfe, 0x98ba, 0x5476, 0x1032],
      [0x1032, 0x5476, 0x98ba, 0xdcfe],
    ],
  ],
  [
    'uint64',
    0x100000002n,
    [
      [0, 1, 0, 2],
      [2, 0, 1, 0],
      [0, 0x0100, 0, 0x0200],
      [0x0200, 0, 0x0100, 0],
    ],
  ],
  [
    'float64',
    123.456,
    [
      [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
      [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
      [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
      [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
    ],
  ],
  [
    'float64',
    -0.001,
    [
      [0xbf50, 0x624d, 0xd2f1, 0xa9fc],
      [0xa9fc, 0xd2f1, 0x624d, 0xbf50],
      [0x50bf, 0x4d62, 0xf1d2, 0xfca9],
      [0xfca9, 0xf1d2, 0x4d62, 0x50bf],
    ],
  ],
];
const ORDER_INDEX: Record<ByteOrder, number> = { ABCD: 0, CDAB: 1, BADC: 2, DCBA: 3 };

describe('decodeRegisters: hand-written vectors', () => {
  for (const [type, raw, words] of VECTORS) {
    const expected = type === 'float32' ? Math.fround(Number(raw)) : Number(raw);
    // Beyond 2^53 the expected number is the nearest double, whose encoding is other words.
    const exact = typeof raw === 'number' || BigInt(expected) === raw;
    it(`${type} ${raw}: the ABCD vector equals Node's big-endian encoding`, () => {
      expect(words[0]).toEqual(nodeWords(type, raw));
    });
    for (const order of BYTE_ORDERS) {
      const orderWords = words[ORDER_INDEX[order]]!;
      it(`${type} ${raw} ${order}: decodes${exact ? ' and encodes' : ''}`, () => {
        expect(decodeRegisters(spec(type), order, wire(...orderWords), 0)).toBe(expected);
        if (exact) expect(Array.from(encodeValue(spec(type), order, expected))).toEqual(orderWords);
      });
    }
  }

  it('reads at a register offset inside a larger response', () => {
    const bytes = wire(0x1111, 0x2222, 0x42f6, 0xe979, 0x3333);
    expect(decodeRegisters(spec('float32'), 'ABCD', bytes, 2)).toBe(Math.fround(123.456));
    expect(decodeRegisters(spec('uint16'), 'ABCD', bytes, 4)).toBe(0x3333);
    expect(decodeRegisters(spec('int16'), 'BADC', bytes, 1)).toBe(0x2222);
  });

  it('keeps signs: int16 -1 and -32768, int32 -1, uint16 and uint32 all ones', () => {
    expect(decodeRegisters(spec('int16'), 'ABCD', wire(0xffff), 0)).toBe(-1);
    expect(decodeRegisters(spec('int16'), 'ABCD', wire(0x8000), 0)).toBe(-32768);
    expect(decodeRegisters(spec('int16'), 'BADC', wire(0x0080), 0)).toBe(-32768);
    expect(decodeRegisters(spec('int32'), 'CDAB', wire(0xffff, 0xffff), 0)).toBe(-1);
    expect(decodeRegisters(spec('uint16'), 'ABCD', wire(0xffff), 0)).toBe(65535);
    expect(decodeRegisters(spec('uint32'), 'DCBA', wire(0xffff, 0xffff), 0)).toBe(4294967295);
  });

  it('int64 and uint64 beyond 2^53 round to the nearest double, like Number(bigint)', () => {
    expect(decodeRegisters(spec('int64'), 'ABCD', wire(0x0020, 0, 0, 1), 0)).toBe(Number(2n ** 53n + 1n));
    expect(decodeRegisters(spec('int64'), 'ABCD', wire(0x8000, 0, 0, 0), 0)).toBe(-(2 ** 63));
    expect(decodeRegisters(spec('int64'), 'ABCD', wire(0x7fff, 0xffff, 0xffff, 0xffff), 0)).toBe(2 ** 63);
    expect(decodeRegisters(spec('uint64'), 'ABCD', wire(0xffff, 0xffff, 0xffff, 0xffff), 0)).toBe(2 ** 64);
    expect(decodeRegisters(spec('int64'), 'CDAB', wire(0x0001, 0, 0, 0), 0)).toBe(1);
  });

  it('throws a RangeError when the value runs past the response', () => {
    expect(() => decodeRegisters(spec('float32'), 'ABCD', wire(0x42f6), 0)).toThrow(RangeError);
    expect(() => decodeRegisters(spec('uint16'), 'ABCD', wire(1, 2), 2)).toThrow(/register offset 2/);
  });
});

describe('decodeRegisters: bool and strings; decodeBit', () => {
  it('a register bool is true when any bit is set, whatever the order', () => {
    for (const order of BYTE_ORDERS) {
      expect(decodeRegisters(spec('bool'), order, wire(0x0000), 0)).toBe(false);
      expect(decodeRegisters(spec('bool'), order, wire(0x0001), 0)).toBe(true);
      expect(decodeRegisters(spec('bool'), order, wire(0x8000), 0)).toBe(true);
    }
  });

  it('string(5) "HELLO" takes 3 registers, high byte first under ABCD and CDAB, low under BADC and DCBA', () => {
    const highFirst = [0x4845, 0x4c4c, 0x4f00]; // 'H' 'E' | 'L' 'L' | 'O' NUL
    const lowFirst = [0x4548, 0x4c4c, 0x004f];
    for (const order of BYTE_ORDERS) {
      const words = order === 'ABCD' || order === 'CDAB' ? highFirst : lowFirst;
      expect(decodeRegisters(spec('string(5)'), order, wire(...words), 0)).toBe('HELLO');
      expect(Array.from(encodeValue(spec('string(5)'), order, 'HELLO'))).toEqual(words);
    }
  });

  it('an odd-length string ignores the byte past its length', () => {
    expect(decodeRegisters(spec('string(3)'), 'ABCD', wire(0x5859, 0x5a41), 0)).toBe('XYZ');
    expect(decodeRegisters(spec('string(3)'), 'BADC', wire(0x5958, 0x415a), 0)).toBe('XYZ');
  });

  it('stops at the first NUL and keeps trailing spaces', () => {
    expect(decodeRegisters(spec('string(8)'), 'ABCD', wire(0x4142, 0x0000, 0x4344, 0), 0)).toBe('AB');
    expect(decodeRegisters(spec('string(8)'), 'ABCD', wire(0x4142, 0x2020, 0, 0), 0)).toBe('AB  ');
    expect(decodeRegisters(spec('string(4)'), 'ABCD', wire(0x0041, 0x4243), 0)).toBe('');
    expect(decodeRegisters(spec('string(4)'), 'ABCD', wire(0x3132, 0x3334), 0)).toBe('1234');
  });

  it('reads coils and discrete inputs by offset, and throws outside the bits read', () => {
    const bits = [true, false, false, true, false, false, false, false];
    expect([0, 1, 2, 3].map((i) => decodeBit(bits, i))).toEqual([true, false, false, true]);
    expect(() => decodeBit(bits, 8)).toThrow(RangeError);
  });
});

describe('applyScale', () => {
  it('applies value * scale + offset to numbers only', () => {
    expect(applyScale(250, 0.1, -5)).toBeCloseTo(20, 12);
    expect(applyScale(-40, 2, 1)).toBe(-79);
    expect(applyScale(7, 1, 0)).toBe(7);
    expect(applyScale(7, 1, 5)).toBe(12);
    expect(applyScale(7, 3, 0)).toBe(21);
    // bools and strings pass unchanged
    expect(applyScale(true, 10, 3)).toBe(true);
    expect(applyScale('7', 10, 3)).toBe('7');
  });
  it('composes with decoding: int16 -1234 at scale 0.01 is -12.34', () => {
    const raw = decodeRegisters(spec('int16'), 'ABCD', wire(0xfb2e), 0);
    expect(applyScale(raw, 0.01, 0)).toBeCloseTo(-12.34, 12);
  });
});

const ROUND_TRIP: Record<string, (number | boolean | string)[]> = {
  bool: [true, false],
  int16: [-32768, -1, 0, 1234, 32767],
  uint16: [0, 1, 0xabcd, 65535],
  int32: [-(2 ** 31), -123456789, 0, 2 ** 31 - 1],
  uint32: [0, 3000000000, 2 ** 32 - 1],
  int64: [-(2 ** 63), -(2 ** 53) + 1, -1, 0, 2 ** 53 - 1, 2 ** 63 - 1024],
  uint64: [0, 2 ** 53 - 1, 2 ** 64 - 2048],
  float32: [0, -1.5, Math.fround(0.1), Math.fround(3.4e38), Infinity, NaN],
  float64: [0, 123.456, -0.001, Number.MAX_VALUE, 5e-324, -Infinity],
  'string(5)': ['HELLO', 'A', '', 'HI  '],
  'string(6)': ['ABCDEF', 'xyz'],
};

describe('encodeValue → decodeRegisters round trip', () => {
  for (const [type, values] of Object.entries(ROUND_TRIP)) {
    for (const order of BYTE_ORDERS) {
      it(`${type} ${order}`, () => {
        for (const value of values) {
          const words = encodeValue(spec(type), order, value);
          expect(words.length).toBe(spec(type).registers);
          expect(decodeRegisters(spec(type), order, encodeRegistersToBytes(words), 0)).toBe(value);
        }
      });
    }
  }

  it('rejects values that do not fit their type', () => {
    expect(() => encodeValue(spec('int16'), 'ABCD', 32768)).toThrow(RangeError);
    expect(() => encodeValue(spec('uint32'), 'ABCD', -1)).toThrow(RangeError);
    expect(() => encodeValue(spec('uint64'), 'ABCD', 2 ** 64)).toThrow(RangeError);
    expect(() => encodeValue(spec('int32'), 'ABCD', NaN)).toThrow(RangeError);
    expect(() => encodeValue(spec('string(2)'), 'ABCD', 'abc')).toThrow(RangeError);
    expect(() => encodeValue(spec('float32'), 'ABCD', 'x')).toThrow(TypeError);
  });

  it('rounds integers to the nearest; encodeRegistersToBytes writes words big-endian', () => {
    expect(Array.from(encodeValue(spec('int16'), 'ABCD', -2.6))).toEqual([0xfffd]);
    expect(Array.from(encodeRegistersToBytes([0x1234, 0xabcd]))).toEqual([0x12, 0x34, 0xab, 0xcd]);
  });
});
