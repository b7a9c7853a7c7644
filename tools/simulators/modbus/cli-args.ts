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

interface BenchFlags {
  count?: number;
  basePort?: number;
  unitsPerPort: number;
}

/** What the command line has said so far; each flag's handler adds to it. */
interface ParseState {
  options: CliOptions;
  /** The --bench flags, checked as a whole once every flag is read. */
  bench?: BenchFlags;
}

/** One flag: `value()` takes the argument after it (or fails naming the flag). */
type FlagHandler = (state: ParseState, flag: string, value: () => string) => void;

function defaults(): CliOptions {
  return {
    help: false,
    ephemeral: false,
    profiles: [],
    host: '127.0.0.1',
    unknownUnit: 'ignore',
    static: false,
    baudRate: 19200,
    parity: 'even',
  };
}

/** The --profile that --port, --unit and --id apply to. */
function lastProfile(state: ParseState, flag: string): ProfileArg {
  const last = state.options.profiles.at(-1);
  if (!last) throw new UsageError(`${flag} must follow a --profile`);
  return last;
}

function benchFlags(state: ParseState): BenchFlags {
  return (state.bench ??= { unitsPerPort: 1 });
}

function chooseRtu(state: ParseState, choice: NonNullable<CliOptions['rtu']>): void {
  if (state.options.rtu) throw new UsageError('give one of --rtu-pty, --rtu-serial or --rtu-tcp');
  state.options.rtu = choice;
}

function profile(name: string): ProfileArg {
  if (!isProfileName(name)) throw new UsageError(`unknown profile "${name}": expected one of ${PROFILE_NAMES.join(', ')}`);
  return { profile: name, port: 0, unitId: 1 };
}

function unknownUnitPolicy(policy: string): UnknownUnitPolicy {
  if (policy !== 'ignore' && policy !== 'exception') throw new UsageError(`--unknown-unit is ignore or exception, got "${policy}"`);
  return policy;
}

function parity(text: string): CliOptions['parity'] {
  if (text !== 'none' && text !== 'even' && text !== 'odd') throw new UsageError(`--parity is none, even or odd, got "${text}"`);
  return text;
}

const help: FlagHandler = (s) => {
  s.options.help = true;
};

/** Every flag the simulator knows (a Map: a name like "constructor" must not find a handler). */
const FLAGS: ReadonlyMap<string, FlagHandler> = new Map<string, FlagHandler>([
  ['--help', help],
  ['-h', help],
  ['--config', (s, _flag, value) => (s.options.config = value())],
  ['--ephemeral', (s) => (s.options.ephemeral = true)],
  ['--profile', (s, _flag, value) => s.options.profiles.push(profile(value()))],
  ['--port', (s, flag, value) => (lastProfile(s, flag).port = integer(flag, value(), 0, 65535))],
  ['--unit', (s, flag, value) => (lastProfile(s, flag).unitId = integer(flag, value(), 0, 255))],
  ['--id', (s, flag, value) => (lastProfile(s, flag).id = value())],
  ['--bench', (s, flag, value) => (benchFlags(s).count = integer(flag, value(), 1, 100_000))],
  ['--base-port', (s, flag, value) => (benchFlags(s).basePort = integer(flag, value(), 0, 65535))],
  ['--units-per-port', (s, flag, value) => (benchFlags(s).unitsPerPort = integer(flag, value(), 1, 247))],
  ['--registers', (s, flag, value) => (s.options.registers = integer(flag, value(), 1, 65536))],
  ['--host', (s, _flag, value) => (s.options.host = value())],
  ['--unknown-unit', (s, _flag, value) => (s.options.unknownUnit = unknownUnitPolicy(value()))],
  ['--static', (s) => (s.options.static = true)],
  ['--rtu-pty', (s) => chooseRtu(s, { kind: 'pty' })],
  ['--rtu-serial', (s, _flag, value) => chooseRtu(s, { kind: 'serial', path: value() })],
  ['--rtu-tcp', (s, flag, value) => chooseRtu(s, { kind: 'tcp', port: integer(flag, value(), 0, 65535) })],
  ['--baud', (s, flag, value) => (s.options.baudRate = integer(flag, value(), 300, 4_000_000))],
  ['--parity', (s, _flag, value) => (s.options.parity = parity(value()))],
  ['--seed', (s, flag, value) => (s.options.seed = integer(flag, value(), 0, 2 ** 32 - 1))],
]);

/** The bench devices once both --bench N and --base-port P are known. */
function benchOption(bench: BenchFlags): NonNullable<CliOptions['bench']> {
  if (bench.count === undefined || bench.basePort === undefined) throw new UsageError('--bench needs both --bench N and --base-port P');
  const last = bench.basePort + Math.ceil(bench.count / bench.unitsPerPort) - 1;
  if (bench.basePort !== 0 && last > 65535) throw new UsageError(`--bench ${bench.count} from port ${bench.basePort} runs past port 65535`);
  return { count: bench.count, basePort: bench.basePort, unitsPerPort: bench.unitsPerPort };
}

/** Flags that are each fine alone but not together (or a command line with nothing to do). */
function checkCombination(options: CliOptions): void {
  if (options.ephemeral && !options.config) throw new UsageError('--ephemeral applies to --config only');
  if (options.rtu && (options.config || options.bench || options.profiles.length === 0)) {
    throw new UsageError('an RTU line takes --profile devices (with --unit 1..247), not --config or --bench');
  }
  if (!options.help && !options.config && options.profiles.length === 0 && !options.bench) {
    throw new UsageError('nothing to simulate: give --config, --profile or --bench');
  }
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const state: ParseState = { options: defaults() };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const handler = FLAGS.get(flag);
    if (!handler) throw new UsageError(`unknown argument "${flag}"`);
    handler(state, flag, () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    });
  }
  if (state.bench) state.options.bench = benchOption(state.bench);
  checkCombination(state.options);
  return state.options;
}
