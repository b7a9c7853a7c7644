/** Shared set-up of the RTU tests: a pty line, simulated slaves on one end, the driver on the other. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { ModbusRtuInstrumentConfig, ModbusRtuTcpInstrumentConfig } from '../../config/schema.js';
import { ModbusRtuDriver } from '../../drivers/modbus/modbus-rtu-driver.js';
import { channelsFor, profileByName, type Profile } from '../../tools/simulators/modbus/index.js';
import { openPtyPair, type PtyPair } from '../../tools/simulators/modbus/pty-pair.js';
import { startRtuSimulator, type RtuDeviceSpec, type RtuSimulator } from '../../tools/simulators/modbus/rtu-simulator.js';
import { silentLogger } from '../../gateway/log.js';
import { CollectOutput } from './collect-output.js';

export const cleanups: (() => Promise<void>)[] = [];

export async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export const FAST_LINE = { baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 } as const;

export interface SerialRig {
  pty: PtyPair;
  sim: RtuSimulator;
}

/** A pty line at `format` with the given slaves on its device end. */
export async function serialRig(
  devices: RtuDeviceSpec[],
  format: typeof FAST_LINE | { baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits: 8; stopBits: 1 | 2 } = FAST_LINE,
): Promise<SerialRig> {
  const pty = await openPtyPair();
  cleanups.push(() => pty.close());
  const sim = await startRtuSimulator({ line: { serial: pty.devices, ...format }, devices: devices.map((d) => ({ static: true, ...d })) });
  cleanups.push(() => sim.stop());
  return { pty, sim };
}

export function profileOf(profile: string | Profile): Profile {
  return typeof profile === 'string' ? profileByName(profile) : profile;
}

export function rtuInstrument(
  id: string,
  profile: string | Profile,
  unitId: number,
  port: string,
  over: Partial<ModbusRtuInstrumentConfig> = {},
): ModbusRtuInstrumentConfig {
  return {
    id,
    protocol: 'modbus-rtu',
    line: { port, ...FAST_LINE },
    unitId,
    timeoutMs: 100,
    probeIntervalMs: 1000,
    pollIntervalMs: 100,
    maxGap: 8,
    maxRegistersPerRead: 125,
    channels: channelsFor(profileOf(profile)),
    ...over,
  };
}

export function rtuTcpInstrument(
  id: string,
  profile: string | Profile,
  unitId: number,
  port: number,
  over: Partial<ModbusRtuTcpInstrumentConfig> = {},
): ModbusRtuTcpInstrumentConfig {
  return {
    id,
    protocol: 'modbus-rtu-tcp',
    line: { host: '127.0.0.1', port },
    unitId,
    timeoutMs: 100,
    probeIntervalMs: 1000,
    pollIntervalMs: 100,
    maxGap: 8,
    maxRegistersPerRead: 125,
    channels: channelsFor(profileOf(profile)),
    ...over,
  };
}

/** A logger whose JSON events (and the raw lines, to see keys JSON.parse would merge) a test can read back. */
export function capturingLogger(): { log: Logger; events: () => Record<string, unknown>[]; lines: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return {
    log: pino({ level: 'info' }, sink),
    events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    lines: () => [...lines],
  };
}

export function runRtu(
  protocol: 'modbus-rtu' | 'modbus-rtu-tcp',
  instruments: (ModbusRtuInstrumentConfig | ModbusRtuTcpInstrumentConfig)[],
  log: Logger = silentLogger(),
): { out: CollectOutput; driver: ModbusRtuDriver } {
  const out = new CollectOutput();
  const driver = new ModbusRtuDriver(protocol, 'lab', instruments, log);
  driver.start(out);
  cleanups.push(() => driver.stop());
  return { out, driver };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Intervals between consecutive batches, sorted. */
export function batchGaps(batches: { at: number }[]): number[] {
  return batches
    .slice(1)
    .map((b, i) => b.at - batches[i]!.at)
    .sort((a, b) => a - b);
}
