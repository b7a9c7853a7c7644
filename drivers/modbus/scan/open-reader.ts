/** Opens the scanned endpoint as a UnitReader: the RTU master on a port or socket, or Modbus TCP. */
import { ModbusTcpLink } from '../modbus-tcp-link.js';
import { RtuMaster } from '../rtu-master.js';
import { lineTiming, UNTIMED } from '../rtu-timing.js';
import { SerialStream } from '../serial-stream.js';
import { TcpStream } from '../tcp-stream.js';
import type { UnitReader } from './scan-units.js';
import type { ScanTarget } from './skeleton.js';

export interface OpenReader {
  reader: UnitReader;
  close(): Promise<void>;
}

export async function openReader(target: ScanTarget, timeoutMs: number): Promise<OpenReader> {
  if (target.kind === 'tcp') {
    const link = new ModbusTcpLink(target.host, target.port, 1, timeoutMs);
    await link.connect(() => undefined);
    return {
      reader: { read: (unitId, fn, address, count) => link.read(fn, address, count, unitId) },
      close: async () => link.close(),
    };
  }
  const stream =
    target.kind === 'serial'
      ? new SerialStream({ path: target.path, baudRate: target.baudRate, parity: target.parity, dataBits: target.dataBits, stopBits: target.stopBits })
      : new TcpStream(target.host, target.port, Math.max(1000, timeoutMs));
  await stream.open();
  const master = new RtuMaster(stream, target.kind === 'serial' ? lineTiming(target) : UNTIMED);
  return { reader: master, close: () => stream.close() };
}
