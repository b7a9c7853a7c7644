import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load-config.js';
import { checkRtuLines, groupLines } from '../../drivers/modbus/rtu-lines.js';

const FILE = 'site.yaml';
const HEAD = 'site: lab\nmqtt:\n  url: mqtt://broker\ninstruments:\n';
const CHANNELS = '    channels:\n      - { id: t, function: input, address: 0, type: float32, quantity: temperature }\n';

function rtu(id: string, unitId: number, line: string, extra = ''): string {
  return `  - id: ${id}\n    protocol: modbus-rtu\n    unitId: ${unitId}\n    line: ${line}\n${extra}${CHANNELS}`;
}

function problems(text: string): string[] {
  try {
    parseConfig(text, FILE, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('modbus-rtu config: several instruments on one line', () => {
  it('writes the line settings once; instruments that leave them out share them, the rest take the Modbus defaults', () => {
    const config = parseConfig(
      HEAD +
        rtu('bath', 1, '{ port: /dev/ttyUSB0, baudRate: 38400, parity: none, stopBits: 2 }') +
        rtu('dmm', 2, '{ port: /dev/ttyUSB0 }', '    timeoutMs: 300\n') +
        rtu('gauge', 3, '{ port: /dev/ttyUSB1 }'),
      FILE,
      {},
    );
    const { lines, problems: found } = groupLines(config.instruments);
    expect(found).toEqual([]);
    expect(lines.map((l) => [l.line, l.instruments.map((i) => i.id)])).toEqual([
      [{ kind: 'serial', name: '/dev/ttyUSB0', path: '/dev/ttyUSB0', baudRate: 38400, parity: 'none', dataBits: 8, stopBits: 2 }, ['bath', 'dmm']],
      [{ kind: 'serial', name: '/dev/ttyUSB1', path: '/dev/ttyUSB1', baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 }, ['gauge']],
    ]);
    expect(config.instruments[1]).toMatchObject({ timeoutMs: 300, probeIntervalMs: 10_000, pollIntervalMs: 1000 });
    expect(config.instruments[0]).toMatchObject({ timeoutMs: 500 });
  });

  it('accepts one line block shared through a YAML anchor', () => {
    const config = parseConfig(HEAD + rtu('a', 1, '&bus1 { port: /dev/ttyS1, baudRate: 9600, parity: odd, dataBits: 7 }') + rtu('b', 2, '*bus1'), FILE, {});
    expect(checkRtuLines(config.instruments)).toEqual([]);
    expect(groupLines(config.instruments).lines[0]!.line).toMatchObject({ baudRate: 9600, parity: 'odd', dataBits: 7 });
  });

  it('names every instrument whose line setting disagrees with the one given first, when the config loads', () => {
    const text =
      HEAD +
      rtu('a', 1, '{ port: /dev/ttyUSB0, baudRate: 19200 }') +
      rtu('b', 2, '{ port: /dev/ttyUSB0, baudRate: 9600, parity: odd }') +
      rtu('c', 3, '{ port: /dev/ttyUSB0, parity: even }');
    let error: unknown;
    try {
      parseConfig(text, FILE, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => [p.path, p.message])).toEqual([
      [
        'instruments[1].line.baudRate',
        'baudRate 9600 differs from 19200 given by instruments[0] (a) for line /dev/ttyUSB0: instruments on one line must agree, or leave it out',
      ],
      [
        'instruments[2].line.parity',
        'parity even differs from odd given by instruments[1] (b) for line /dev/ttyUSB0: instruments on one line must agree, or leave it out',
      ],
    ]);
  });

  it('groups RTU-over-TCP instruments by converter host and port; the serial speed is optional there', () => {
    const tcp = (id: string, unitId: number, line: string): string =>
      `  - id: ${id}\n    protocol: modbus-rtu-tcp\n    unitId: ${unitId}\n    line: ${line}\n${CHANNELS}`;
    const config = parseConfig(
      HEAD +
        tcp('a', 1, '{ host: 10.0.0.5, port: 4001, baudRate: 9600 }') +
        tcp('b', 2, '{ host: 10.0.0.5, port: 4001 }') +
        tcp('c', 1, '{ host: 10.0.0.5, port: 4002 }'),
      FILE,
      {},
    );
    expect(groupLines(config.instruments).lines.map((l) => [l.line, l.instruments.length])).toEqual([
      [{ kind: 'tcp', name: '10.0.0.5:4001', host: '10.0.0.5', port: 4001, baudRate: 9600 }, 2],
      [{ kind: 'tcp', name: '10.0.0.5:4002', host: '10.0.0.5', port: 4002 }, 1],
    ]);
  });

  it('requires a unit id from 1 to 247 and a serial port, and knows the parities', () => {
    const noUnit = HEAD + `  - id: a\n    protocol: modbus-rtu\n    line: { port: /dev/ttyUSB0 }\n${CHANNELS}`;
    expect(problems(noUnit).join('\n')).toMatch(/instruments\[0\].*unitId/);
    expect(problems(HEAD + rtu('a', 0, '{ port: /dev/ttyUSB0 }')).join('\n')).toMatch(/instruments\[0\]\.unitId/);
    expect(problems(HEAD + rtu('a', 248, '{ port: /dev/ttyUSB0 }')).join('\n')).toMatch(/instruments\[0\]\.unitId/);
    expect(problems(HEAD + rtu('a', 1, '{ baudRate: 9600 }')).join('\n')).toMatch(/instruments\[0\]\.line.*port/);
    expect(problems(HEAD + rtu('a', 1, '{ port: /dev/ttyUSB0, parity: mark }')).join('\n')).toMatch(/instruments\[0\]\.line\.parity/);
  });
});
