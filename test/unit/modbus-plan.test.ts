import { describe, it, expect } from 'vitest';
import type { RegisterFunction } from '../../drivers/modbus/config.js';
import { planReads, type PlanChannel, type PlannedRead } from '../../drivers/modbus/plan.js';
import { parseRegisterType } from '../../drivers/modbus/register-type.js';

const ch = (address: number, type = 'uint16', fn: RegisterFunction = 'holding'): PlanChannel => ({
  function: fn,
  address,
  type,
});
const opts = (maxGap = 0, maxRegistersPerRead = 125) => ({ maxGap, maxRegistersPerRead });

/** Shape of a plan without the specs: [fn, address, count, [index, offset][]]. */
const shape = (reads: PlannedRead[]) => reads.map((r) => [r.fn, r.address, r.count, r.items.map((i) => [i.index, i.offset])]);

/** Every channel read once, inside its read, at its own address, and no read over the limit. */
function expectSound(channels: PlanChannel[], reads: PlannedRead[], registerLimit: number): void {
  const seen = reads.flatMap((r) => r.items.map((i) => i.index)).sort((a, b) => a - b);
  expect(seen).toEqual(channels.map((_, i) => i));
  for (const read of reads) {
    const bits = read.fn === 'coil' || read.fn === 'discrete';
    expect(read.count).toBeLessThanOrEqual(bits ? 2000 : registerLimit);
    for (const item of read.items) {
      const channel = channels[item.index]!;
      expect(read.fn).toBe(channel.function);
      expect(read.address + item.offset).toBe(channel.address);
      expect(item.offset + item.spec.registers).toBeLessThanOrEqual(read.count);
    }
  }
}

describe('parseRegisterType', () => {
  it('gives the registers each type occupies', () => {
    const registers = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'].map(
      (t) => parseRegisterType(t, 'holding').registers,
    );
    expect(registers).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4]);
  });
  it('string(n) takes ceil(n/2) registers and keeps n', () => {
    expect(parseRegisterType('string(5)', 'input')).toEqual({ kind: 'string', registers: 3, length: 5 });
    expect(parseRegisterType('string(250)', 'holding').registers).toBe(125);
  });
  it('allows only bool on coils and discrete inputs, as one bit', () => {
    expect(parseRegisterType('bool', 'coil')).toEqual({ kind: 'bool', registers: 1 });
    expect(() => parseRegisterType('float32', 'coil')).toThrow('type float32 is not allowed on a coil: coils and discrete inputs hold bool');
    expect(() => parseRegisterType('string(4)', 'discrete')).toThrow(/not allowed on a discrete input/);
  });
  it('rejects unknown types, empty strings and strings longer than one read', () => {
    expect(() => parseRegisterType('float16', 'holding')).toThrow(/unknown type "float16"/);
    expect(() => parseRegisterType('string(0)', 'holding')).toThrow(/no characters/);
    expect(() => parseRegisterType('string(251)', 'holding')).toThrow(/126 registers/);
  });
});

describe('planReads', () => {
  it('plans a single channel as one read', () => {
    const reads = planReads([ch(10, 'float32')], opts());
    expect(shape(reads)).toEqual([['holding', 10, 2, [[0, 0]]]]);
    expect(reads[0]!.items[0]!.spec).toEqual({ kind: 'float32', registers: 2 });
  });

  it('coalesces adjacent channels of one function, sorted by address', () => {
    const channels = [ch(2, 'float32'), ch(0), ch(1), ch(4, 'float64')];
    expect(shape(planReads(channels, opts()))).toEqual([
      [
        'holding',
        0,
        8,
        [
          [1, 0],
          [2, 1],
          [0, 2],
          [3, 4],
        ],
      ],
    ]);
  });

  it('merges across a gap of exactly maxGap and splits at maxGap + 1', () => {
    expect(shape(planReads([ch(0), ch(4)], opts(3)))).toEqual([
      [
        'holding',
        0,
        5,
        [
          [0, 0],
          [1, 4],
        ],
      ],
    ]);
    expect(shape(planReads([ch(0), ch(5)], opts(3)))).toEqual([
      ['holding', 0, 1, [[0, 0]]],
      ['holding', 5, 1, [[1, 0]]],
    ]);
    expect(planReads([ch(0, 'int32'), ch(3)], opts(0))).toHaveLength(2);
    expect(planReads([ch(0, 'int32'), ch(2)], opts(0))).toHaveLength(1);
  });

  it('measures the gap from the end of a multi-register value', () => {
    // float64 at 0 ends at 3; the channel at 6 leaves 2 unused registers (4 and 5).
    expect(planReads([ch(0, 'float64'), ch(6)], opts(2))).toHaveLength(1);
    expect(planReads([ch(0, 'float64'), ch(6)], opts(1))).toHaveLength(2);
  });

  it('never reads more than 125 registers at once', () => {
    const channels = Array.from({ length: 126 }, (_, i) => ch(i));
    const reads = planReads(channels, opts(0, 200));
    expect(reads.map((r) => [r.address, r.count])).toEqual([
      [0, 125],
      [125, 1],
    ]);
    expectSound(channels, reads, 125);
  });

  it('respects maxRegistersPerRead without splitting a float64', () => {
    const channels = [ch(0, 'float64'), ch(4, 'float64'), ch(8, 'float64')];
    const reads = planReads(channels, opts(0, 10));
    expect(reads.map((r) => [r.address, r.count])).toEqual([
      [0, 8],
      [8, 4],
    ]);
    expectSound(channels, reads, 10);

    const tail = [...Array.from({ length: 7 }, (_, i) => ch(i)), ch(7, 'float64')];
    expect(planReads(tail, opts(0, 10)).map((r) => [r.address, r.count])).toEqual([
      [0, 7],
      [7, 4],
    ]);
  });

  it('rejects a value larger than maxRegistersPerRead, naming the channel', () => {
    expect(() => planReads([ch(0), ch(1, 'float64')], opts(0, 3))).toThrow(/^channels\[1\]: .*4 registers.*3/);
  });

  it('reads at most 2000 bits at once, whatever maxRegistersPerRead says', () => {
    const channels = Array.from({ length: 2001 }, (_, i) => ch(i, 'bool', 'coil'));
    const reads = planReads(channels, opts(0, 10));
    expect(reads.map((r) => [r.fn, r.address, r.count])).toEqual([
      ['coil', 0, 2000],
      ['coil', 2000, 1],
    ]);
    expectSound(channels, reads, 10);
  });

  it('never merges different functions, and orders coil, discrete, holding, input', () => {
    const channels = [ch(1, 'uint16', 'input'), ch(0), ch(1, 'bool', 'discrete'), ch(0, 'bool', 'coil')];
    expect(shape(planReads(channels, opts(10)))).toEqual([
      ['coil', 0, 1, [[3, 0]]],
      ['discrete', 1, 1, [[2, 0]]],
      ['holding', 0, 1, [[1, 0]]],
      ['input', 1, 1, [[0, 0]]],
    ]);
  });

  it('lets overlapping channels share a read', () => {
    const channels = [ch(11), ch(10, 'float32'), ch(10, 'float32'), ch(10, 'uint32')];
    expect(shape(planReads(channels, opts()))).toEqual([
      [
        'holding',
        10,
        2,
        [
          [1, 0],
          [2, 0],
          [3, 0],
          [0, 1],
        ],
      ],
    ]);
    // A short channel inside a long one does not shrink the read.
    expect(shape(planReads([ch(0, 'float64'), ch(1)], opts()))).toEqual([
      [
        'holding',
        0,
        4,
        [
          [0, 0],
          [1, 1],
        ],
      ],
    ]);
  });

  it('handles the last address 65535 and rejects values that run past it', () => {
    expect(shape(planReads([ch(65535)], opts()))).toEqual([['holding', 65535, 1, [[0, 0]]]]);
    expect(shape(planReads([ch(65535, 'bool', 'coil')], opts()))).toEqual([['coil', 65535, 1, [[0, 0]]]]);
    expect(shape(planReads([ch(65535), ch(65534)], opts()))).toEqual([
      [
        'holding',
        65534,
        2,
        [
          [1, 0],
          [0, 1],
        ],
      ],
    ]);
    expect(shape(planReads([ch(65532, 'float64')], opts()))).toEqual([['holding', 65532, 4, [[0, 0]]]]);
    expect(() => planReads([ch(65535, 'float32')], opts())).toThrow(/^channels\[0\]: .*65536.*65535/);
    expect(() => planReads([ch(65533, 'float64')], opts())).toThrow(/past the last address/);
  });

  it('names the channel whose type is wrong', () => {
    expect(() => planReads([ch(0), ch(1, 'int16', 'coil')], opts())).toThrow(
      'channels[1]: type int16 is not allowed on a coil: coils and discrete inputs hold bool',
    );
  });

  it('is deterministic and sound for a shuffled mixed device', () => {
    const types = ['bool', 'int16', 'float32', 'uint32', 'float64', 'string(7)', 'int64'];
    const channels: PlanChannel[] = [];
    for (let i = 0; i < 300; i++) {
      const fn = (['holding', 'input', 'coil'] as const)[i % 3]!;
      const address = (i * 7919) % 1000;
      channels.push(ch(address, fn === 'coil' ? 'bool' : types[i % types.length]!, fn));
    }
    const reads = planReads(channels, opts(8, 60));
    expectSound(channels, reads, 60);
    expect(planReads(channels, opts(8, 60))).toEqual(reads);
    const keys = reads.map((r) => ['coil', 'discrete', 'holding', 'input'].indexOf(r.fn) * 1e6 + r.address);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(planReads([], opts())).toEqual([]);
  });
});
