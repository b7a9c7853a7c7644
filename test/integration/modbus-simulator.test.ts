/**
 * The Modbus TCP simulator against a real client (modbus-serial) and against raw MBAP frames
 * where the client cannot express the case (illegal quantities, pipelining, split chunks).
 */
import { asModbusTcp } from '../../config/schema.js';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import M from 'modbus-serial';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { applyScale, decodeRegisters } from '../../drivers/modbus/decode.js';
import { parseRegisterType } from '../../drivers/modbus/register-type.js';
import { parseCliArgs, UsageError } from '../../tools/simulators/modbus/cli-args.js';
import {
  benchDevices,
  channelsFor,
  devicesFromConfig,
  matchProfile,
  ModbusDevice,
  ModbusTcpServer,
  profileByName,
  startSimulator,
  type Simulator,
} from '../../tools/simulators/modbus/index.js';

// modbus-serial is CommonJS; under NodeNext its class sits on `.default` (the package sets it).
const ModbusRTU = M.default;
type Client = InstanceType<typeof ModbusRTU>;

const DEMO = fileURLToPath(new URL('../../config/examples/demo.yaml', import.meta.url));

async function connect(port: number, unitId = 1, timeoutMs = 1000): Promise<Client> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  return client;
}

function close(client: Client): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}

/** The modbus exception code of a rejected request, or the error message. */
async function failure(request: Promise<unknown>): Promise<number | string> {
  try {
    await request;
  } catch (err) {
    const e = err as Error & { modbusCode?: number };
    return e.modbusCode ?? e.message;
  }
  throw new Error('the request succeeded');
}

function mbap(tid: number, unit: number, pdu: number[]): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  Buffer.from(pdu).copy(out, 7);
  return out;
}

const u16 = (n: number): number[] => [n >> 8, n & 0xff];

/** A raw TCP client that splits the byte stream back into MBAP frames. */
async function rawClient(port: number): Promise<{
  socket: net.Socket;
  frames(count: number, waitMs?: number): Promise<Buffer[]>;
  raw(): Buffer;
  closed: Promise<void>;
}> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  const got: Buffer[] = [];
  const all: Buffer[] = [];
  socket.on('data', (chunk) => {
    all.push(chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 6 && pending.length >= 6 + pending.readUInt16BE(4)) {
      const end = 6 + pending.readUInt16BE(4);
      got.push(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    socket,
    closed,
    raw: () => Buffer.concat(all),
    async frames(count, waitMs = 1000) {
      const deadline = Date.now() + waitMs;
      while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return got.splice(0, got.length);
    },
  };
}

describe('Modbus TCP server', () => {
  let server: ModbusTcpServer;
  let device: ModbusDevice;
  let port: number;
  let client: Client;

  beforeAll(async () => {
    server = new ModbusTcpServer();
    device = server.addUnit(1);
    port = await server.listen();
    device.banks.write('coil', 10, [1, 0, 1]);
    device.banks.write('discrete', 5, [0, 1, 1, 0, 1, 0, 0, 0, 1]);
    device.banks.write('holding', 100, [1, 2, 0xffff]);
    device.banks.write('input', 65533, [7, 8, 9]);
  });
  afterAll(async () => {
    await close(client);
    await server.close();
  });
  afterEach(() => device.clearFaults());

  it('binds an ephemeral port on 127.0.0.1', () => {
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
  });

  it('reads every table with function codes 1 to 4', async () => {
    client = await connect(port);
    expect((await client.readCoils(10, 3)).data.slice(0, 3)).toEqual([true, false, true]);
    expect((await client.readDiscreteInputs(5, 9)).data.slice(0, 9)).toEqual([false, true, true, false, true, false, false, false, true]);
    expect((await client.readHoldingRegisters(100, 4)).data).toEqual([1, 2, 0xffff, 0]);
    expect((await client.readInputRegisters(65533, 3)).data).toEqual([7, 8, 9]);
    expect((await client.readHoldingRegisters(0, 125)).data).toHaveLength(125);
  });

  it('writes with function codes 5, 6, 15 and 16 and reads them back', async () => {
    await client.writeCoil(20, true);
    await client.writeRegister(30, 1234);
    await client.writeCoils(40, [true, false, true, true, false, false, false, false, true]);
    await client.writeRegisters(50, [1, 2, 3, 0xfffe]);
    expect((await client.readCoils(20, 1)).data[0]).toBe(true);
    expect((await client.readHoldingRegisters(30, 1)).data).toEqual([1234]);
    expect((await client.readCoils(40, 9)).data.slice(0, 9)).toEqual([true, false, true, true, false, false, false, false, true]);
    expect((await client.readHoldingRegisters(50, 4)).data).toEqual([1, 2, 3, 0xfffe]);
    await client.writeCoil(20, false);
    expect(device.banks.coil.get(20)).toBe(false);
  });

  it('answers exception 2 past the end of a table', async () => {
    expect(await failure(client.readHoldingRegisters(65530, 10))).toBe(2);
    expect(await failure(client.readCoils(65535, 2))).toBe(2);
    expect(await failure(client.writeRegisters(65535, [1, 2]))).toBe(2);
  });

  it('answers exception 3 beyond the spec limits and exception 1 for unknown functions', async () => {
    const raw = await rawClient(port);
    raw.socket.write(
      Buffer.concat([
        mbap(1, 1, [3, ...u16(0), ...u16(126)]),
        mbap(2, 1, [4, ...u16(0), ...u16(0)]),
        mbap(3, 1, [1, ...u16(0), ...u16(2001)]),
        mbap(4, 1, [16, ...u16(0), ...u16(124), 248, ...new Array<number>(248).fill(0)]),
        mbap(5, 1, [15, ...u16(0), ...u16(1969), 247, ...new Array<number>(247).fill(0)]),
        mbap(6, 1, [5, ...u16(0), 0x12, 0x34]),
        mbap(7, 1, [16, ...u16(0), ...u16(2), 3, 0, 1, 0]),
        mbap(8, 1, [0x2b, 0x0e, 1, 0]),
        mbap(9, 1, [3, ...u16(0), ...u16(125)]),
      ]),
    );
    const frames = await raw.frames(9);
    expect(frames.map((f) => [f.readUInt16BE(0), f[7], f[8]])).toEqual([
      [1, 0x83, 3],
      [2, 0x84, 3],
      [3, 0x81, 3],
      [4, 0x90, 3],
      [5, 0x8f, 3],
      [6, 0x85, 3],
      [7, 0x90, 3],
      [8, 0xab, 1],
      [9, 3, 250],
    ]);
    raw.socket.destroy();
  });

  it('answers pipelined requests in order and reassembles a request split over chunks', async () => {
    const raw = await rawClient(port);
    raw.socket.write(
      Buffer.concat([mbap(700, 1, [3, ...u16(100), ...u16(2)]), mbap(701, 1, [1, ...u16(10), ...u16(3)]), mbap(702, 1, [4, ...u16(65533), ...u16(1)])]),
    );
    const frames = await raw.frames(3);
    expect(frames.map((f) => f.readUInt16BE(0))).toEqual([700, 701, 702]);
    expect([...frames[0]!.subarray(7)]).toEqual([3, 4, 0, 1, 0, 2]);
    expect([...frames[1]!.subarray(7)]).toEqual([1, 1, 0b101]);
    expect([...frames[2]!.subarray(7)]).toEqual([4, 2, 0, 7]);

    const request = mbap(4242, 1, [3, ...u16(100), ...u16(3)]);
    raw.socket.write(request.subarray(0, 4));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(request.subarray(4, 9));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(request.subarray(9));
    const [split] = await raw.frames(1);
    expect(split!.readUInt16BE(0)).toBe(4242);
    expect([...split!.subarray(9)]).toEqual([0, 1, 0, 2, 0xff, 0xff]);
    raw.socket.destroy();
  });

  it('ignores unknown unit ids by default, or answers exception 0x0B', async () => {
    const raw = await rawClient(port);
    raw.socket.write(Buffer.concat([mbap(1, 9, [3, 0, 0, 0, 1]), mbap(2, 1, [3, 0, 0, 0, 1])]));
    expect((await raw.frames(2, 300)).map((f) => f.readUInt16BE(0))).toEqual([2]);
    server.unknownUnit = 'exception';
    raw.socket.write(mbap(3, 9, [3, 0, 0, 0, 1]));
    expect([...(await raw.frames(1))[0]!.subarray(6)]).toEqual([9, 0x83, 0x0b]);
    server.unknownUnit = 'ignore';
    raw.socket.destroy();
  });

  it('injects faults: mute, delay, exception, dropped connection, garbage', async () => {
    const before = device.served;
    device.faults.mute = true;
    client.setTimeout(200);
    expect(await failure(client.readHoldingRegisters(100, 1))).toMatch(/timed out/i);
    expect(device.served).toBe(before);
    device.clearFaults();
    await new Promise((r) => setTimeout(r, 50)); // let a late answer (there must be none) pass

    client.setTimeout(1000);
    device.setFaults({ delayMs: 150 });
    const start = Date.now();
    expect((await client.readHoldingRegisters(100, 2)).data).toEqual([1, 2]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    device.clearFaults();

    device.setFaults({ exception: { code: 4, address: 101, quantity: 2, function: 'holding' } });
    expect(await failure(client.readHoldingRegisters(95, 7))).toBe(4);
    expect((await client.readHoldingRegisters(95, 6)).data).toHaveLength(6);
    expect((await client.readInputRegisters(101, 1)).data).toEqual([0]);
    device.clearFaults();

    device.setFaults({ garbage: true });
    expect(await failure(client.readHoldingRegisters(100, 2))).toMatch(/length/i);
    device.clearFaults();
    expect((await client.readHoldingRegisters(100, 2)).data).toEqual([1, 2]); // stream still in sync

    device.setFaults({ garbage: 'stream' });
    const raw = await rawClient(port);
    raw.socket.write(mbap(77, 1, [3, 0, 100, 0, 1]));
    await new Promise((r) => setTimeout(r, 100));
    expect(raw.raw().readUInt16BE(2)).not.toBe(0); // protocol id: not MBAP at all
    raw.socket.destroy();
    device.clearFaults();

    device.setFaults({ dropConnection: 'once' });
    client.setTimeout(300);
    // modbus-serial does not fail the request in flight when the socket closes: it times out.
    expect(await failure(client.readHoldingRegisters(100, 1))).toMatch(/closed|not open|timed out/i);
    expect(client.isOpen).toBe(false);
    expect(device.faults.dropConnection).toBe(false);
    client = await connect(port);
    expect((await client.readHoldingRegisters(100, 1)).data).toEqual([1]);

    device.setFaults({ dropConnection: true });
    for (let i = 0; i < 2; i++) {
      const dropped = await rawClient(port);
      dropped.socket.write(mbap(1, 1, [3, 0, 0, 0, 1]));
      await dropped.closed;
    }
  });

  it('closes open client sockets on close()', async () => {
    const extra = new ModbusTcpServer();
    extra.addUnit(1);
    const raw = await rawClient(await extra.listen());
    await extra.close();
    await raw.closed;
    expect(extra.openConnections).toBe(0);
  });
});

/** Reads one profile channel through the client, decoded as the gateway would. */
async function readChannel(client: Client, sim: Simulator, deviceId: string, channel: string): Promise<unknown> {
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
  const clients = new Map<string, Client>();
  const clientFor = async (id: string): Promise<Client> => {
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

describe('demo config and CLI', () => {
  const expected: Record<string, string> = {
    'bath-01': 'temperature-bath',
    'pressure-01': 'pressure-controller',
    'balance-01': 'balance',
    'dmm-01': 'dmm',
  };

  it('demo.yaml is valid and each instrument reads exactly its simulator profile', () => {
    const config = loadConfig(DEMO, {});
    const modbus = config.instruments.filter((i) => i.protocol === 'modbus-tcp');
    expect(modbus.map((i) => i.id)).toEqual(Object.keys(expected));
    for (const inst of modbus.map(asModbusTcp)) {
      const profile = profileByName(expected[inst.id]!);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect([...inst.channels].sort(byId), inst.id).toEqual(channelsFor(profile).sort(byId));
      expect(matchProfile(inst.channels)?.name).toBe(profile.name);
    }
    expect(modbus.map(asModbusTcp).map((i) => [i.connection.port, i.connection.unitId, i.pollIntervalMs])).toEqual([
      [15020, 1, 1000],
      [15021, 1, 1000],
      [15022, 1, 500],
      [15023, 1, 1000],
    ]);
    const { devices, skipped } = devicesFromConfig(config, { ephemeralPorts: true });
    // The OPC UA instrument is served by the OPC UA simulator, not this one.
    expect(skipped).toEqual([{ instrument: 'chamber-01', reason: 'protocol opcua is not simulated' }]);
    expect(devices.map((d) => d.id)).toEqual(Object.keys(expected));
  });

  it('parses the command line', () => {
    const o = parseCliArgs(['--profile', 'dmm', '--port', '1502', '--unit', '3', '--bench', '200', '--base-port', '20000', '--registers', '40']);
    expect(o.profiles).toEqual([{ profile: 'dmm', port: 1502, unitId: 3 }]);
    expect(o.bench).toEqual({ count: 200, basePort: 20000, unitsPerPort: 1 });
    expect(o.registers).toBe(40);
    expect(() => parseCliArgs(['--port', '1'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--profile', 'oven'])).toThrow(/unknown profile/);
    expect(() => parseCliArgs(['--bench', '10'])).toThrow(/base-port/);
    expect(parseCliArgs(['--rtu-pty', '--baud', '115200', '--parity', 'none', '--profile', 'dmm', '--unit', '7'])).toMatchObject({
      rtu: { kind: 'pty' },
      baudRate: 115200,
      parity: 'none',
      profiles: [{ profile: 'dmm', unitId: 7 }],
    });
    expect(parseCliArgs(['--rtu-tcp', '4001', '--profile', 'balance']).rtu).toEqual({ kind: 'tcp', port: 4001 });
    expect(() => parseCliArgs(['--rtu-pty', '--bench', '10', '--base-port', '0'])).toThrow(/RTU line takes --profile/);
    expect(() => parseCliArgs(['--rtu-pty', '--rtu-tcp', '1', '--profile', 'dmm'])).toThrow(/one of --rtu-pty/);
  });
});
