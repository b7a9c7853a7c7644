/**
 * The simulated instruments (bath, pressure controller, balance, DMM, bench devices) read through a
 * real client (modbus-serial) and decoded as the gateway decodes them: realistic noisy values,
 * static mode, values set by a test, setpoints a client writes, several units per port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScale, decodeRegisters } from '../../drivers/modbus/decode.js';
import { parseRegisterType } from '../../drivers/modbus/register-type.js';
import { benchDevices, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';
import { close, connect, type ModbusClient } from '../support/modbus-tcp-client.js';

/** Reads one profile channel through the client, decoded as the gateway would. */
async function readChannel(client: ModbusClient, sim: Simulator, deviceId: string, channel: string): Promise<unknown> {
  const point = sim.device(deviceId).profile.points.find((p) => p.channel === channel)!;
  const spec = parseRegisterType(point.type, point.function);
  switch (point.function) {
    case 'coil':
      return (await client.readCoils(point.address, 1)).data[0];
    case 'discrete':
      return (await client.readDiscreteInputs(point.address, 1)).data[0];
    case 'holding':
    case 'input': {
      const read = point.function === 'holding' ? client.readHoldingRegisters : client.readInputRegisters;
      const { buffer } = await read.call(client, point.address, spec.registers);
      return applyScale(decodeRegisters(spec, point.order ?? 'ABCD', buffer, 0), point.scale ?? 1, point.offset ?? 0);
    }
  }
}

describe('simulated instruments', () => {
  let sim: Simulator;
  const clients = new Map<string, ModbusClient>();
  const clientFor = async (id: string): Promise<ModbusClient> => {
    let c = clients.get(id);
    if (!c) {
      const d = sim.device(id);
      c = await connect(d.port, d.unitId);
      clients.set(id, c);
    }
    return c;
  };

  beforeAll(async () => {
    sim = await startSimulator({
      devices: [
        { profile: 'temperature-bath', id: 'bath', refreshMs: 0 },
        { profile: 'pressure-controller', id: 'pressure', refreshMs: 0 },
        { profile: 'balance', id: 'balance', refreshMs: 0 },
        { profile: 'dmm', id: 'dmm', refreshMs: 0 },
        { profile: 'dmm', id: 'dmm-static', static: true },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([...clients.values()].map(close));
    await sim.stop();
  });

  it('gives realistic values that vary with noise', async () => {
    const bands: [string, string, number, number][] = [
      ['bath', 'temperature', 24.9, 25.1],
      ['bath', 'heater_power', 30, 55],
      ['pressure', 'pressure', 199.9, 200.1],
      ['balance', 'mass', 99.99, 100.01],
      ['dmm', 'voltage', 9.9999, 10.0001],
    ];
    for (const [id, channel, low, high] of bands) {
      const client = await clientFor(id);
      const values = new Set<number>();
      for (let i = 0; i < 10; i++) {
        const v = (await readChannel(client, sim, id, channel)) as number;
        expect(v, `${id}.${channel}`).toBeGreaterThan(low);
        expect(v, `${id}.${channel}`).toBeLessThan(high);
        values.add(v);
      }
      expect(values.size, `${id}.${channel} varies`).toBeGreaterThan(2);
    }
    const dmm = await clientFor('dmm');
    expect(await readChannel(dmm, sim, 'dmm', 'serial')).toBe('MG-DMM-2026-0042');
    expect(await readChannel(dmm, sim, 'dmm', 'range')).toBe(10);
    expect(await readChannel(await clientFor('bath'), sim, 'bath', 'circulating')).toBe(true);
    expect(await readChannel(await clientFor('bath'), sim, 'bath', 'setpoint')).toBe(25);
  });

  it('serves nominal values in static mode and exact values put with set()', async () => {
    const client = await clientFor('dmm-static');
    expect(await readChannel(client, sim, 'dmm-static', 'voltage')).toBe(10.000012);
    expect(await readChannel(client, sim, 'dmm-static', 'voltage')).toBe(10.000012);

    const bath = sim.device('bath');
    bath.set('temperature', 23.456);
    bath.set('circulating', false);
    sim.device('balance').set('mass', 12.3456);
    sim.device('pressure').set('stable', true);
    expect(await readChannel(await clientFor('bath'), sim, 'bath', 'temperature')).toBe(Math.fround(23.456));
    expect(await readChannel(await clientFor('bath'), sim, 'bath', 'circulating')).toBe(false);
    expect(bath.value('temperature')).toBe(Math.fround(23.456));
    const balance = await clientFor('balance');
    expect((await balance.readInputRegisters(0, 2)).data).toEqual([123456 >>> 16, 123456 & 0xffff]);
    expect(await readChannel(balance, sim, 'balance', 'mass')).toBeCloseTo(12.3456, 10);
    expect(await readChannel(await clientFor('pressure'), sim, 'pressure', 'stable')).toBe(true);

    sim.device('dmm').setRegisters('input', 16, [0x4142, 0x4300]);
    expect(await readChannel(await clientFor('dmm'), sim, 'dmm', 'serial')).toBe('ABC');

    bath.release('temperature');
    const live = (await readChannel(await clientFor('bath'), sim, 'bath', 'temperature')) as number;
    expect(live).toBeGreaterThan(24.9);
  });

  it('keeps a setpoint a client wrote instead of its signal', async () => {
    const client = await clientFor('bath');
    const words = new Uint16Array(new Float32Array([30.5]).buffer);
    await client.writeRegisters(0, [words[1]!, words[0]!]); // float32 ABCD
    expect(await readChannel(client, sim, 'bath', 'setpoint')).toBe(30.5);
    expect(sim.device('bath').served).toBeGreaterThan(0);
  });

  it('starts bench devices, several unit ids per port', async () => {
    const bench = await startSimulator({ devices: benchDevices({ count: 10, basePort: 0, unitsPerPort: 5, registers: 50 }) });
    try {
      expect(bench.ports).toHaveLength(2);
      expect(bench.devices.map((d) => d.unitId)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
      const client = await connect(bench.ports[1]!, 3);
      const { data } = await client.readHoldingRegisters(0, 50);
      expect(data[0]).toBeGreaterThan(9_800);
      expect(data[0]).toBeLessThan(10_200);
      expect(data[1]! - 0x10000).toBeLessThan(-800); // int16 on the wire
      expect(bench.device('bench-7').served).toBe(1);
      await close(client);
    } finally {
      await bench.stop();
    }
  });
});
