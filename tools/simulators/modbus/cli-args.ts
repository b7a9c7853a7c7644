/**
 * Command line of the standalone simulator. Hand-parsed because `--port` and `--unit` belong to
 * the `--profile` before them, which util.parseArgs cannot express.
 */
import type { UnknownUnitPolicy } from './connection.js';
import { isProfileName, PROFILE_NAMES } from './profiles.js';

export const USAGE = `usage: modbus-simulator [options]
  --config <gateway.yaml>   simulate every modbus-tcp instrument whose channels match a profile,
                            on its configured port and unit id
  --ephemeral               with --config: listen on ephemeral ports instead (see the ready line)
  --profile <name>          one device (${PROFILE_NAMES.join(', ')}); repeatable
    --port <n>              its port (default 0: ephemeral; equal ports share one server)
    --unit <n>              its unit id (default 1)
    --id <name>             its name in the ready line
  --bench <N>               N bench devices ...
    --base-port <P>         ... on ports P, P+1, ... (0: ephemeral)
    --units-per-port <K>    ... K unit ids (1..K) per port (default 1)
  --registers <n>           registers of the bench profile (default 50)
  --rtu-pty                 serve the --profile devices as Modbus RTU slaves on a new socat pty pair;
                            the ready line names the end for the gateway ("rtu":{"serial":...})
  --rtu-serial <path>       ... on this serial port instead (a real RS-485 adapter, or a pty)
  --rtu-tcp <port>          ... behind a TCP port speaking raw RTU frames (a serial-to-Ethernet
                            converter in transparent mode; 0: ephemeral)
    --baud <n>              the RTU line's baud rate (default 19200; timing is emulated on a pty)
    --parity <p>            none, even (default) or odd
  --host <addr>             listen address (default 127.0.0.1)
  --unknown-unit <policy>   ignore (default: no answer) or exception (0x0B)
  --static                  nominal values, no noise or drift
  --seed <n>                seed of the noise generators
Prints {"ready":true,"ports":[...],"devices":[...]} on stdout once listening; stops on SIGTERM/SIGINT.`;

export interface ProfileArg {
  profile: string;
  port: number;
  unitId: number;
  id?: string;
}

export interface CliOptions {
  help: boolean;
  config?: string;
  ephemeral: boolean;
  profiles: ProfileArg[];
  bench?: { count: number; basePort: number; unitsPerPort: number };
  registers?: number;
  host: string;
  unknownUnit: UnknownUnitPolicy;
  static: boolean;
  seed?: number;
  /** Serve the profiles as RTU slaves on one line instead of Modbus TCP servers. */
  rtu?: { kind: 'pty' } | { kind: 'serial'; path: string } | { kind: 'tcp'; port: number };
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} needs an integer in ${min}..${max}, got ${text === undefined ? 'nothing' : `"${text}"`}`);
  }
  return value;
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    help: false,
    ephemeral: false,
    profiles: [],
    host: '127.0.0.1',
    unknownUnit: 'ignore',
    static: false,
    baudRate: 19200,
    parity: 'even',
  };
  const rtu = (choice: NonNullable<CliOptions['rtu']>): void => {
    if (options.rtu) throw new UsageError('give one of --rtu-pty, --rtu-serial or --rtu-tcp');
    options.rtu = choice;
  };
  let bench: { count?: number; basePort?: number; unitsPerPort: number } | undefined;
  const lastProfile = (flag: string): ProfileArg => {
    const last = options.profiles.at(-1);
    if (!last) throw new UsageError(`${flag} must follow a --profile`);
    return last;
  };
  const benchFlags = (): { count?: number; basePort?: number; unitsPerPort: number } => (bench ??= { unitsPerPort: 1 });

  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--config':
        options.config = value();
        break;
      case '--ephemeral':
        options.ephemeral = true;
        break;
      case '--profile': {
        const name = value();
        if (!isProfileName(name)) throw new UsageError(`unknown profile "${name}": expected one of ${PROFILE_NAMES.join(', ')}`);
        options.profiles.push({ profile: name, port: 0, unitId: 1 });
        break;
      }
      case '--port':
        lastProfile(flag).port = integer(flag, value(), 0, 65535);
        break;
      case '--unit':
        lastProfile(flag).unitId = integer(flag, value(), 0, 255);
        break;
      case '--id':
        lastProfile(flag).id = value();
        break;
      case '--bench':
        benchFlags().count = integer(flag, value(), 1, 100_000);
        break;
      case '--base-port':
        benchFlags().basePort = integer(flag, value(), 0, 65535);
        break;
      case '--units-per-port':
        benchFlags().unitsPerPort = integer(flag, value(), 1, 247);
        break;
      case '--registers':
        options.registers = integer(flag, value(), 1, 65536);
        break;
      case '--host':
        options.host = value();
        break;
      case '--unknown-unit': {
        const policy = value();
        if (policy !== 'ignore' && policy !== 'exception') throw new UsageError(`--unknown-unit is ignore or exception, got "${policy}"`);
        options.unknownUnit = policy;
        break;
      }
      case '--static':
        options.static = true;
        break;
      case '--rtu-pty':
        rtu({ kind: 'pty' });
        break;
      case '--rtu-serial':
        rtu({ kind: 'serial', path: value() });
        break;
      case '--rtu-tcp':
        rtu({ kind: 'tcp', port: integer(flag, value(), 0, 65535) });
        break;
      case '--baud':
        options.baudRate = integer(flag, value(), 300, 4_000_000);
        break;
      case '--parity': {
        const parity = value();
        if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new UsageError(`--parity is none, even or odd, got "${parity}"`);
        options.parity = parity;
        break;
      }
      case '--seed':
        options.seed = integer(flag, value(), 0, 2 ** 32 - 1);
        break;
      default:
        throw new UsageError(`unknown argument "${flag}"`);
    }
  }

  if (bench) {
    if (bench.count === undefined || bench.basePort === undefined) throw new UsageError('--bench needs both --bench N and --base-port P');
    const last = bench.basePort + Math.ceil(bench.count / bench.unitsPerPort) - 1;
    if (bench.basePort !== 0 && last > 65535) throw new UsageError(`--bench ${bench.count} from port ${bench.basePort} runs past port 65535`);
    options.bench = { count: bench.count, basePort: bench.basePort, unitsPerPort: bench.unitsPerPort };
  }
  if (options.ephemeral && !options.config) throw new UsageError('--ephemeral applies to --config only');
  if (options.rtu && (options.config || options.bench || options.profiles.length === 0)) {
    throw new UsageError('an RTU line takes --profile devices (with --unit 1..247), not --config or --bench');
  }
  if (!options.help && !options.config && options.profiles.length === 0 && !options.bench) {
    throw new UsageError('nothing to simulate: give --config, --profile or --bench');
  }
  return options;
}
