/**
 * Modbus RTU on a real serial line (a socat pseudo-terminal pair, the simulated slaves on one end,
 * the driver on the other): every register type and byte order the driver decodes arrives with
 * the value each slave serves, from several slaves sharing the line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../tools/simulators/modbus/index.js';
import { cleanUp, rtuInstrument, runRtu, serialRig } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

const constant = (value: number | boolean | string) => ({ kind: 'constant' as const, value });

/** Every type in every byte order the driver decodes, with scaling, on all four tables. */
const ALL_TYPES: Profile = {
  name: 'all-types',
  description: 'one point per type and byte order',
  points: [
    { channel: 'i16', function: 'holding', address: 0, type: 'int16', quantity: 'x', signal: constant(-12345) },
    { channel: 'i16-badc', function: 'holding', address: 1, type: 'int16', order: 'BADC', quantity: 'x', signal: constant(-2) },
    { channel: 'u16-scaled', function: 'holding', address: 2, type: 'uint16', scale: 0.1, offset: -5, quantity: 'x', signal: constant(6548.5) },
    { channel: 'i32', function: 'holding', address: 3, type: 'int32', quantity: 'x', signal: constant(-2_000_000_001) },
    { channel: 'i32-cdab', function: 'holding', address: 5, type: 'int32', order: 'CDAB', quantity: 'x', signal: constant(123_456_789) },
    { channel: 'u32-badc', function: 'holding', address: 7, type: 'uint32', order: 'BADC', quantity: 'x', signal: constant(4_000_000_000) },
    { channel: 'u32-dcba', function: 'holding', address: 9, type: 'uint32', order: 'DCBA', quantity: 'x', signal: constant(0xdeadbeef) },
    { channel: 'i64', function: 'holding', address: 11, type: 'int64', quantity: 'x', signal: constant(-9_007_199_254_740_991) },
    { channel: 'u64-dcba', function: 'holding', address: 15, type: 'uint64', order: 'DCBA', quantity: 'x', signal: constant(1_234_567_890_123) },
    { channel: 'f32', function: 'input', address: 0, type: 'float32', quantity: 'x', signal: constant(23.456) },
    { channel: 'f32-cdab', function: 'input', address: 2, type: 'float32', order: 'CDAB', quantity: 'x', signal: constant(-0.001234) },
    { channel: 'f32-badc', function: 'input', address: 4, type: 'float32', order: 'BADC', quantity: 'x', signal: constant(1e-20) },
    { channel: 'f32-dcba', function: 'input', address: 6, type: 'float32', order: 'DCBA', quantity: 'x', signal: constant(3.4e38) },
    { channel: 'f64', function: 'input', address: 8, type: 'float64', quantity: 'x', signal: constant(10.000012345678) },
    { channel: 'f64-cdab', function: 'input', address: 12, type: 'float64', order: 'CDAB', quantity: 'x', signal: constant(-273.15) },
    { channel: 'text', function: 'input', address: 20, type: 'string(10)', quantity: 'id', signal: constant('SN-0042') },
    { channel: 'text-badc', function: 'input', address: 25, type: 'string(5)', order: 'BADC', quantity: 'id', signal: constant('AbCdE') },
    { channel: 'reg-bool', function: 'holding', address: 19, type: 'bool', quantity: 'state', signal: constant(true) },
    { channel: 'coil', function: 'coil', address: 3, type: 'bool', quantity: 'state', signal: constant(true) },
    { channel: 'coil-off', function: 'coil', address: 4, type: 'bool', quantity: 'state', signal: constant(false) },
    { channel: 'discrete', function: 'discrete', address: 10, type: 'bool', quantity: 'state', signal: constant(true) },
  ],
};

describe('Modbus RTU on a serial line (socat pty pair, 115200 baud): decoding', () => {
  it('reads every type and byte order with the value each slave serves, several slaves on one line', async () => {
    const { pty, sim } = await serialRig([
      { profile: ALL_TYPES, id: 'types', unitId: 7 },
      { profile: 'temperature-bath', id: 'bath', unitId: 1 },
      { profile: 'dmm', id: 'dmm', unitId: 2 },
    ]);
    sim.device('bath').set('temperature', 21.125);
    sim.device('dmm').set('voltage', 9.999987654);
    const { out } = runRtu('modbus-rtu', [
      rtuInstrument('types', ALL_TYPES, 7, pty.gateway),
      rtuInstrument('bath', 'temperature-bath', 1, pty.gateway),
      rtuInstrument('dmm', 'dmm', 2, pty.gateway),
    ]);
    await out.until(() => ['types', 'bath', 'dmm'].every((id) => out.of(id).length >= 2), 'two cycles of each slave');

    for (const id of ['types', 'bath', 'dmm']) {
      const device = sim.device(id);
      for (const r of out.of(id)[1]!.readings) {
        expect(r.quality, `${id}.${r.channel}: ${r.reason}`).toBe('good');
        const served = device.value(r.channel);
        if (typeof served === 'number') expect(r.raw, `${id}.${r.channel}`).toBeCloseTo(served, 6);
        else expect(r.raw, `${id}.${r.channel}`).toBe(served);
      }
    }
    const types = Object.fromEntries(out.of('types')[1]!.readings.map((r) => [r.channel, r.raw]));
    expect(types).toMatchObject({
      i16: -12345,
      'i16-badc': -2,
      i32: -2_000_000_001,
      'i32-cdab': 123_456_789,
      'u32-badc': 4_000_000_000,
      'u32-dcba': 0xdeadbeef,
      i64: -9_007_199_254_740_991,
      'u64-dcba': 1_234_567_890_123,
      'f64-cdab': -273.15,
      text: 'SN-0042',
      'text-badc': 'AbCdE',
      'reg-bool': true,
      coil: true,
      'coil-off': false,
      discrete: true,
    });
    expect(types['u16-scaled']).toBeCloseTo(6548.5, 9);
    expect(types['f32']).toBeCloseTo(23.456, 5);
    expect(types['f64']).toBe(10.000012345678);
    expect(out.of('bath')[1]!.readings[0]!.raw).toBeCloseTo(21.125, 5);
    expect(sim.counters).toMatchObject({ badFrames: 0, gapViolations: 0, collisions: 0 });
  });
});
