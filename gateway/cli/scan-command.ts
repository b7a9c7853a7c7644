/**
 * `metrogate scan`: finds the unit ids that answer on a serial line, an RTU-over-TCP converter
 * or a Modbus TCP endpoint, and the address ranges each lets a client read; prints a config
 * skeleton (YAML, on stdout) that validates as it stands. Progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { FUNCTIONS, PARITIES, type Parity, type RegisterFunction } from '../../drivers/modbus/config.js';
import { openReader } from '../../drivers/modbus/scan/open-reader.js';
import { scanUnits } from '../../drivers/modbus/scan/scan-units.js';
import { renderSkeleton, targetName, type ScanTarget } from '../../drivers/modbus/scan/skeleton.js';

export const SCAN_USAGE = `Usage: metrogate scan (--serial PATH | --rtu-tcp HOST:PORT | --tcp HOST[:PORT]) [options]
  --serial PATH          a serial port (RS-485 adapter), with
    --baud N             baud rate (default 19200)
    --parity P           none, even or odd (default even)
    --data-bits N        7 or 8 (default 8)
    --stop-bits N        1 or 2 (default 1)
  --rtu-tcp HOST:PORT    a serial-to-Ethernet converter passing raw RTU frames
  --tcp HOST[:PORT]      a Modbus TCP device or gateway (port 502 by default)
  --units LIST           unit ids to try, e.g. 1-247 or 1,2,10-12 (default 1-247; 1 on --tcp)
  --timeout MS           wait per request (default 200; 1000 on --tcp)
  --functions LIST       tables to scan (default holding,input,coil,discrete)
  --to N                 scan addresses below N (default 2000)
  --step N               probe every N addresses; a range shorter than N that lies between two
                         probes is missed (default 10)
  --max-registers N      registers per read the devices accept (default 125)
  --max-channels N       channels per instrument in the skeleton (default 64)
Prints a config skeleton on stdout. Exit 0 when a unit answered, 1 when none did, 64 on bad usage.`;

export interface ScanIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STD_IO: ScanIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

class UsageError extends Error {}

export async function runScanCommand(args: string[], io: ScanIo = STD_IO): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(args);
  } catch (err) {
    io.err(`metrogate scan: ${(err as Error).message}\n\n${SCAN_USAGE}\n`);
    return 64;
  }
  if (parsed === 'help') {
    io.out(`${SCAN_USAGE}\n`);
    return 0;
  }
  const { target, units, timeoutMs, functions, end, step, maxRegisters, maxChannels } = parsed;
  let opened;
  try {
    opened = await openReader(target, timeoutMs);
  } catch (err) {
    io.err(`metrogate scan: ${(err as Error).message}\n`);
    return 1;
  }
  io.err(
    `scanning ${targetName(target)}: units ${units.length === 1 ? units[0] : `${units[0]}..${units.at(-1)}`} (${units.length}), ${functions.join(', ')}\n`,
  );
  try {
    const found = await scanUnits(opened.reader, {
      units,
      functions,
      timeoutMs,
      step,
      end,
      maxRegisters,
      progress: (m) => io.err(`${m}\n`),
    });
    io.out(renderSkeleton(target, found, maxChannels));
    io.err(found.length === 0 ? 'no unit answered\n' : `${found.length} unit(s) answered\n`);
    return found.length === 0 ? 1 : 0;
  } finally {
    await opened.close();
  }
}

interface Options {
  target: ScanTarget;
  units: number[];
  timeoutMs: number;
  functions: RegisterFunction[];
  end: number;
  step: number;
  maxRegisters: number;
  maxChannels: number;
}
type Parsed = Options | 'help';

function parse(args: string[]): Parsed {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        serial: { type: 'string' },
        baud: { type: 'string' },
        parity: { type: 'string' },
        'data-bits': { type: 'string' },
        'stop-bits': { type: 'string' },
        'rtu-tcp': { type: 'string' },
        tcp: { type: 'string' },
        units: { type: 'string' },
        timeout: { type: 'string' },
        functions: { type: 'string' },
        to: { type: 'string' },
        step: { type: 'string' },
        'max-registers': { type: 'string' },
        'max-channels': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const given = [values.serial, values['rtu-tcp'], values.tcp].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --serial, --rtu-tcp or --tcp');

  let target: ScanTarget;
  if (values.serial !== undefined) {
    const parity = (values.parity ?? 'even') as Parity;
    if (!PARITIES.includes(parity)) throw new UsageError(`--parity is none, even or odd, got "${values.parity}"`);
    target = {
      kind: 'serial',
      path: values.serial,
      parity,
      baudRate: int('--baud', values.baud, 19200, 300, 4_000_000),
      dataBits: int('--data-bits', values['data-bits'], 8, 7, 8) as 7 | 8,
      stopBits: int('--stop-bits', values['stop-bits'], 1, 1, 2) as 1 | 2,
    };
  } else if (values['rtu-tcp'] !== undefined) {
    target = { kind: 'rtu-tcp', ...hostPort('--rtu-tcp', values['rtu-tcp'], undefined) };
  } else {
    target = { kind: 'tcp', ...hostPort('--tcp', values.tcp!, 502) };
  }
  const functions = (values.functions ?? FUNCTIONS.join(',')).split(',').map((f) => f.trim());
  for (const f of functions) {
    if (!(FUNCTIONS as readonly string[]).includes(f)) throw new UsageError(`--functions: unknown table "${f}", expected ${FUNCTIONS.join(', ')}`);
  }
  const tcp = target.kind === 'tcp';
  return {
    target,
    units: unitList(values.units ?? (tcp ? '1' : '1-247'), tcp ? 0 : 1, tcp ? 255 : 247),
    timeoutMs: int('--timeout', values.timeout, tcp ? 1000 : 200, 1, 60_000),
    functions: functions as RegisterFunction[],
    end: int('--to', values.to, 2000, 1, 65_536),
    step: int('--step', values.step, 10, 1, 2000),
    maxRegisters: int('--max-registers', values['max-registers'], 125, 1, 125),
    maxChannels: int('--max-channels', values['max-channels'], 64, 1, 10_000),
  };
}

function int(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} needs an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

function hostPort(flag: string, text: string, defaultPort: number | undefined): { host: string; port: number } {
  const m = /^(.+?)(?::(\d+))?$/.exec(text);
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!m || port === undefined || port < 1 || port > 65535) {
    throw new UsageError(`${flag} needs HOST:PORT${defaultPort ? ` (port ${defaultPort} if left out)` : ''}, got "${text}"`);
  }
  return { host: m[1]!, port };
}

function unitList(text: string, min: number, max: number): number[] {
  const units = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const from = Number(m?.[1]);
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (!m || from < min || to > max || from > to) throw new UsageError(`--units: "${part}" is not a unit id or range within ${min}..${max}`);
    for (let u = from; u <= to; u++) units.add(u);
  }
  return [...units].sort((a, b) => a - b);
}
