/**
 * The standalone simulator's command line (`npm run simulate -- ...`): what each flag sets, and
 * the exact usage errors a user sees.
 */
import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../tools/simulators/modbus/cli-args.js';
import { PROFILE_NAMES } from '../../tools/simulators/modbus/profiles.js';

/** The message of the usage error `argv` raises. */
function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (err) {
    expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`parsed without a usage error: ${argv.join(' ')}`);
}

describe('simulator command line', () => {
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

  it('sets every option from its flag, with the documented defaults', () => {
    expect(parseCliArgs(['--profile', 'dmm'])).toEqual({
      help: false,
      ephemeral: false,
      profiles: [{ profile: 'dmm', port: 0, unitId: 1 }],
      host: '127.0.0.1',
      unknownUnit: 'ignore',
      static: false,
      baudRate: 19200,
      parity: 'even',
    });
    const all = ['--config', 'g.yaml', '--ephemeral', '--host', '0.0.0.0', '--unknown-unit', 'exception', '--static', '--seed', '4294967295'];
    const devices = ['--profile', 'balance', '--port', '1502', '--unit', '0', '--id', 'bal', '--profile', 'dmm', '--unit', '255'];
    const bench = ['--bench', '70000', '--base-port', '0', '--units-per-port', '247', '--registers', '65536'];
    expect(parseCliArgs([...all, ...devices, ...bench])).toEqual({
      help: false,
      config: 'g.yaml',
      ephemeral: true,
      profiles: [
        { profile: 'balance', port: 1502, unitId: 0, id: 'bal' },
        { profile: 'dmm', port: 0, unitId: 255 },
      ],
      bench: { count: 70000, basePort: 0, unitsPerPort: 247 },
      registers: 65536,
      host: '0.0.0.0',
      unknownUnit: 'exception',
      static: true,
      seed: 4294967295,
      baudRate: 19200,
      parity: 'even',
    });
    expect(parseCliArgs(['--help']).help).toBe(true);
    expect(parseCliArgs(['-h']).help).toBe(true);
    expect(parseCliArgs(['--rtu-serial', '/dev/ttyUSB0', '--baud', '300', '--parity', 'odd', '--profile', 'dmm'])).toMatchObject({
      rtu: { kind: 'serial', path: '/dev/ttyUSB0' },
      baudRate: 300,
      parity: 'odd',
    });
    expect(parseCliArgs(['--rtu-tcp', '0', '--baud', '4000000', '--profile', 'dmm']).rtu).toEqual({ kind: 'tcp', port: 0 });
  });

  it('names the flag and what it expected in every usage error', () => {
    const cases: [string[], string][] = [
      [[], 'nothing to simulate: give --config, --profile or --bench'],
      [['--frobnicate'], 'unknown argument "--frobnicate"'],
      [['constructor'], 'unknown argument "constructor"'],
      [['__proto__'], 'unknown argument "__proto__"'],
      [['--help', '--frobnicate'], 'unknown argument "--frobnicate"'],
      [['--profile'], '--profile needs a value'],
      [['--profile', '--port', '1'], '--profile needs a value'],
      [['--profile', 'oven'], `unknown profile "oven": expected one of ${PROFILE_NAMES.join(', ')}`],
      [['--port', '1'], '--port must follow a --profile'],
      [['--port'], '--port must follow a --profile'],
      [['--unit', '1'], '--unit must follow a --profile'],
      [['--id', 'x'], '--id must follow a --profile'],
      [['--profile', 'dmm', '--port'], '--port needs a value'],
      [['--profile', 'dmm', '--port', '65536'], '--port needs an integer in 0..65535, got "65536"'],
      [['--profile', 'dmm', '--unit', '1.5'], '--unit needs an integer in 0..255, got "1.5"'],
      [['--profile', 'dmm', '--unit', ' '], '--unit needs an integer in 0..255, got " "'],
      [['--profile', 'dmm', '--unit', '-1'], '--unit needs an integer in 0..255, got "-1"'],
      [['--bench', '0'], '--bench needs an integer in 1..100000, got "0"'],
      [['--bench', '10'], '--bench needs both --bench N and --base-port P'],
      [['--base-port', '1000'], '--bench needs both --bench N and --base-port P'],
      [['--units-per-port', '2'], '--bench needs both --bench N and --base-port P'],
      [['--bench', '10', '--base-port', '0', '--units-per-port', '248'], '--units-per-port needs an integer in 1..247, got "248"'],
      [['--bench', '70000', '--base-port', '1000'], '--bench 70000 from port 1000 runs past port 65535'],
      [['--profile', 'dmm', '--registers', '0'], '--registers needs an integer in 1..65536, got "0"'],
      [['--profile', 'dmm', '--unknown-unit', 'maybe'], '--unknown-unit is ignore or exception, got "maybe"'],
      [['--profile', 'dmm', '--parity', 'mark'], '--parity is none, even or odd, got "mark"'],
      [['--profile', 'dmm', '--baud', '299'], '--baud needs an integer in 300..4000000, got "299"'],
      [['--profile', 'dmm', '--seed', '4294967296'], '--seed needs an integer in 0..4294967295, got "4294967296"'],
      [['--profile', 'dmm', '--host'], '--host needs a value'],
      [['--config'], '--config needs a value'],
      [['--ephemeral', '--profile', 'dmm'], '--ephemeral applies to --config only'],
      [['--rtu-pty', '--ephemeral'], '--ephemeral applies to --config only'],
      [['--rtu-pty'], 'an RTU line takes --profile devices (with --unit 1..247), not --config or --bench'],
      [['--rtu-pty', '--config', 'g.yaml', '--profile', 'dmm'], 'an RTU line takes --profile devices (with --unit 1..247), not --config or --bench'],
      [['--rtu-pty', '--rtu-serial', '/dev/x'], 'give one of --rtu-pty, --rtu-serial or --rtu-tcp'],
      [['--rtu-pty', '--rtu-serial'], '--rtu-serial needs a value'],
      [['--rtu-pty', '--rtu-tcp', '70000'], '--rtu-tcp needs an integer in 0..65535, got "70000"'],
    ];
    for (const [argv, message] of cases) expect(usageError(argv), argv.join(' ')).toBe(message);
  });
});
