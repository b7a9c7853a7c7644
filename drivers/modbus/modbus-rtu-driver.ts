import type { Logger } from '../../gateway/log.js';
import type { Driver, DriverOutput } from '../driver.js';
import type { ByteStream } from './byte-stream.js';
import { RtuLine } from './rtu-line.js';
import { groupLines, type LineSpec, type RtuInstrumentConfig } from './rtu-lines.js';
import type { LineStats, RtuInstrumentStats } from './rtu-stats.js';
import { lineTiming, UNTIMED, type LineTiming } from './rtu-timing.js';
import { SerialStream } from './serial-stream.js';
import { TcpStream } from './tcp-stream.js';

/** A converter's serial side of unknown format: assume the Modbus default, 11-bit characters. */
const CONVERTER_FORMAT = { parity: 'even', dataBits: 8, stopBits: 1 } as const;

/**
 * All Modbus RTU instruments of one protocol (modbus-rtu on serial ports, or modbus-rtu-tcp
 * through serial-to-Ethernet converters): one RtuLine, with one master, per shared line.
 */
export class ModbusRtuDriver implements Driver {
  private lines: RtuLine[] = [];

  constructor(
    readonly protocol: 'modbus-rtu' | 'modbus-rtu-tcp',
    private readonly site: string,
    private readonly instruments: readonly RtuInstrumentConfig[],
    private readonly log: Logger,
  ) {}

  start(output: DriverOutput): void {
    const { lines, problems } = groupLines(this.instruments.filter((i) => i.protocol === this.protocol));
    // The config check reports these with file and line before anything starts; this is a backstop.
    if (problems.length > 0) throw new Error(`${this.protocol}: ${problems.map((p) => p.message).join('; ')}`);
    const log = this.log.child({ driver: this.protocol });
    this.lines = lines.map(({ line, instruments }) => {
      const timeoutMs = Math.max(1000, ...instruments.map((i) => i.timeoutMs));
      return new RtuLine(this.site, { name: line.name, stream: streamFor(line, timeoutMs), timing: timingFor(line) }, instruments, output, log);
    });
    for (const line of this.lines) line.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.lines.map((l) => l.stop()));
  }

  stats(): RtuInstrumentStats[] {
    return this.lines.flatMap((l) => l.stats());
  }

  lineStats(): LineStats[] {
    return this.lines.map((l) => l.lineStats());
  }
}

function streamFor(line: LineSpec, connectTimeoutMs: number): ByteStream {
  if (line.kind === 'serial') {
    const { path, baudRate, parity, dataBits, stopBits } = line;
    return new SerialStream({ path, baudRate, parity, dataBits, stopBits });
  }
  return new TcpStream(line.host, line.port, connectTimeoutMs);
}

function timingFor(line: LineSpec): LineTiming {
  if (line.kind === 'serial') return lineTiming(line);
  return line.baudRate ? lineTiming({ baudRate: line.baudRate, ...CONVERTER_FORMAT }) : UNTIMED;
}
