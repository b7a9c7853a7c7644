/**
 * Simulated RTU slaves on one line: several unit ids behind one serial port (in the tests, one
 * end of a socat pseudo-terminal pair) or behind a TCP port that speaks raw RTU frames, as a
 * serial-to-Ethernet converter in transparent mode does.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import type { Parity } from '../../../drivers/modbus/config.js';
import { lineTiming, UNTIMED, type LineTiming } from '../../../drivers/modbus/rtu-timing.js';
import { ModbusDevice } from './device.js';
import { profileByName, type Profile } from './profiles.js';
import { newLineCounters, RtuSlaveLine, type RtuLineCounters } from './rtu-slaves.js';
import { SimulatedDevice } from './simulated-device.js';

export type RtuLineSpec =
  | { serial: string; baudRate?: number; parity?: Parity; dataBits?: 7 | 8; stopBits?: 1 | 2 }
  /** port 0 (default): ephemeral. baudRate: emulate a serial line of that speed behind the converter. */
  | { tcp: { host?: string; port?: number; baudRate?: number } };

export interface RtuDeviceSpec {
  profile: string | Profile;
  /** Default `<profile>-<unitId>`. */
  id?: string;
  unitId: number;
  registers?: number;
  seed?: number;
  static?: boolean;
  /** Only the profile's registers are readable; elsewhere exception 2. */
  strictMap?: boolean;
}

export interface RtuSimulatorOptions {
  line: RtuLineSpec;
  devices: RtuDeviceSpec[];
  /** A slave's think time before answering, ms. Default 1 on a timed line, 0 on untimed TCP. */
  turnaroundMs?: number;
}

export interface RtuSimulator {
  readonly devices: readonly SimulatedDevice[];
  /** The TCP port of an RTU-over-TCP simulator; 0 on a serial line. */
  readonly port: number;
  /** What the slaves saw on the line (all connections together over TCP). */
  readonly counters: RtuLineCounters;
  readonly timing: LineTiming;
  /** A device by id or by unit id. */
  device(idOrUnit: string | number): SimulatedDevice;
  stop(): Promise<void>;
}

export async function startRtuSimulator(options: RtuSimulatorOptions): Promise<RtuSimulator> {
  const units = new Map<number, ModbusDevice>();
  const devices = options.devices.map((spec) => {
    if (!Number.isInteger(spec.unitId) || spec.unitId < 1 || spec.unitId > 247) {
      throw new RangeError(`RTU unit id ${spec.unitId} is outside 1..247`);
    }
    if (units.has(spec.unitId)) throw new Error(`RTU unit id ${spec.unitId} is used twice on one line`);
    const profile = typeof spec.profile === 'string' ? profileByName(spec.profile, spec.registers) : spec.profile;
    const device = new SimulatedDevice(profile, {
      id: spec.id ?? `${profile.name}-${spec.unitId}`,
      seed: spec.seed,
      static: spec.static,
      strictMap: spec.strictMap,
    });
    device.unitId = spec.unitId;
    units.set(spec.unitId, device.modbus);
    return device;
  });
  const lookup = { unit: (id: number) => units.get(id) };
  const counters = newLineCounters();
  const line = options.line;

  let port = 0;
  let timing: LineTiming;
  let stop: () => Promise<void>;
  if ('serial' in line) {
    const format = { baudRate: line.baudRate ?? 19200, parity: line.parity ?? 'even', dataBits: line.dataBits ?? 8, stopBits: line.stopBits ?? 1 };
    timing = lineTiming(format);
    stop = await serveSerial(line.serial, format, (send) => new RtuSlaveLine(lookup, timing, send, options.turnaroundMs ?? 1, undefined, counters));
  } else {
    const baud = line.tcp.baudRate;
    timing = baud ? lineTiming({ baudRate: baud, parity: 'even', dataBits: 8, stopBits: 1 }) : UNTIMED;
    const turnaround = options.turnaroundMs ?? (baud ? 1 : 0);
    const served = await serveTcp(
      line.tcp.host ?? '127.0.0.1',
      line.tcp.port ?? 0,
      (send, drop) => new RtuSlaveLine(lookup, timing, send, turnaround, drop, counters),
    );
    port = served.port;
    for (const d of devices) {
      d.host = line.tcp.host ?? '127.0.0.1';
      d.port = port;
    }
    stop = served.stop;
  }

  return {
    devices,
    port,
    counters,
    timing,
    device(idOrUnit) {
      const found = devices.find((d) => (typeof idOrUnit === 'number' ? d.unitId === idOrUnit : d.id === idOrUnit));
      if (!found) throw new Error(`no simulated RTU device ${idOrUnit}`);
      return found;
    },
    stop,
  };
}

type LineFactory = (send: (bytes: Buffer) => void, drop: () => void) => RtuSlaveLine;

async function serveSerial(
  path: string,
  format: { baudRate: number; parity: Parity; dataBits: 7 | 8; stopBits: 1 | 2 },
  make: LineFactory,
): Promise<() => Promise<void>> {
  const serial = new SerialPort({ path, ...format, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    serial.open((err) => (err ? reject(new Error(`RTU simulator cannot open ${path}: ${err.message}`)) : resolve())),
  );
  const slaves = make(
    (bytes) => serial.write(bytes),
    () => undefined,
  );
  serial.on('data', (chunk: Buffer) => slaves.receive(chunk));
  serial.on('error', () => undefined);
  return async () => {
    slaves.close();
    if (serial.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
  };
}

async function serveTcp(host: string, port: number, make: LineFactory): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const slaves = make(
      (bytes) => socket.write(bytes),
      () => socket.destroy(),
    );
    socket.on('data', (chunk: Buffer) => slaves.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      slaves.close();
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`RTU-over-TCP simulator cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen({ host, port }, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
