/** One test per kind of config error, asserting on the lines a user reads. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { BASE, FILE, configError, edit, lineOf, messages } from './config-fixtures.js';

/** BASE with a calibration block appended to the second instrument (`scale`). */
function withCalibration(lines: string): string {
  const body = lines
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  return `${BASE}    calibration:\n      certificate: C-17\n${body}\n`;
}

describe('schema errors', () => {
  it('wrong type: expected an integer, got a string', () => {
    const text = edit(BASE, '      host: 10.0.0.6', '      host: 10.0.0.6\n      port: abc');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].connection.port: expected an integer, got a string "abc" (line ${lineOf(text, 'port: abc')})`]);
  });

  it('bad type string, with the path in exactly the bracket form', () => {
    const text = edit(BASE, 'type: int16', 'type: flaot32');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[0].type: expected one of bool, int16, uint16, int32, uint32, int64, ` +
        `uint64, float32, float64 or string(n), got "flaot32" (line ${lineOf(text, 'flaot32')})`,
    ]);
    expect(configError(text).problems[0]?.path).toBe('instruments[1].channels[0].type');
  });

  it('bad enum: one message for the whole union, not one per branch', () => {
    const text = edit(BASE, '        type: int16', '        type: int16\n        function: holdng');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[0].function: expected one of coil, discrete, holding or input, ` + `got "holdng" (line ${lineOf(text, 'holdng')})`,
    ]);
    const qos = edit(BASE, '  url: mqtt://localhost:1883', '  url: mqtt://localhost:1883\n  qos: 5');
    expect(messages(qos)).toEqual([`${FILE}: mqtt.qos: expected one of 0, 1 or 2, got 5 (line 4)`]);
  });

  it('unknown property, suggesting the nearest name and not also reporting it missing', () => {
    const text = edit(BASE, 'host: 10.0.0.6', 'hots: 10.0.0.6');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].connection: unknown property "hots", did you mean "host"? (line ${lineOf(text, 'hots')})`]);
  });

  it('unknown property with no near name lists the known ones', () => {
    const text = edit(BASE, 'host: 10.0.0.6', 'host: 10.0.0.6\n      colour: red');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].connection: unknown property "colour" (known: host, port, unitId, timeoutMs) ` + `(line ${lineOf(text, 'colour')})`,
    ]);
  });

  it('missing required property, reported at the parent path', () => {
    const text = edit(BASE, '  url: mqtt://localhost:1883', '  qos: 1');
    expect(messages(text)).toEqual([`${FILE}: mqtt: missing required property "url" (line 2)`]);
    expect(messages(edit(BASE, 'site: lab-1\n', ''))).toEqual([`${FILE}: missing required property "site" (line 1)`]);
  });

  it("an unknown protocol: one message naming the protocols, none from the other protocols' fields", () => {
    const text = edit(BASE, '  - id: scale\n    protocol: modbus-tcp', '  - id: scale\n    protocol: modbus-udp');
    const [only, ...rest] = messages(text);
    expect(rest).toEqual([]);
    // The list grows with every protocol; it must name them all and nothing else.
    expect(only).toMatch(/^config\/test\.yaml: instruments\[1\]\.protocol: expected one of modbus-tcp, [a-z-, ]*opcua, got "modbus-udp" \(line 15\)$/);
  });

  it("errors inside an instrument come from its own protocol's fields only", () => {
    const text = edit(BASE, '      host: 10.0.0.6', '      hots: 10.0.0.6');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].connection: unknown property "hots", did you mean "host"? (line 17)`]);
  });

  it('cloud options that belong together are checked when the config loads', () => {
    const text = `${BASE}cloud:\n  enabled: true\n  url: https://cloud.example/ingest\n  format: sparkplug\n`;
    expect(messages(text)).toEqual([
      `${FILE}: cloud.token: the HTTPS uplink needs a bearer token (e.g. token: \${CLOUD_TOKEN}) (line ${lineOf(text, 'cloud:')})`,
      `${FILE}: cloud.format: sparkplug needs an MQTT url (mqtts://…), not https:// (line ${lineOf(text, 'format: sparkplug')})`,
    ]);
  });

  it('out-of-range numbers', () => {
    const text = edit(BASE, '  - id: scale', '  - id: scale\n    pollIntervalMs: 5\n    maxRegistersPerRead: 126');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].pollIntervalMs: expected ≥ 10, got 5 (line ${lineOf(text, 'pollIntervalMs')})`,
      `${FILE}: instruments[1].maxRegistersPerRead: expected ≤ 125, got 126 (line ${lineOf(text, 'maxRegistersPerRead')})`,
    ]);
    const share = withCalibration('calibrated: "2025-01-01"\nintervalMonths: 12\ndueSoonShare: 1');
    expect(messages(share)).toEqual([`${FILE}: instruments[1].calibration.dueSoonShare: expected < 1, got 1 (line ${lineOf(share, 'dueSoonShare')})`]);
  });

  it('a pattern explained by its description', () => {
    const text = edit(BASE, 'id: scale', 'id: "my scale"');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].id: expected up to 64 letters, digits, "_", "." or "-", starting with a letter or digit (used in MQTT topics and InfluxDB tags), ` +
        `got "my scale" (line ${lineOf(text, 'my scale')})`,
    ]);
  });

  it('bad date pattern', () => {
    const text = withCalibration('calibrated: "2025/03/14"\nintervalMonths: 12');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].calibration.calibrated: expected a date as YYYY-MM-DD, got "2025/03/14" ` + `(line ${lineOf(text, '2025/03/14')})`,
    ]);
  });
});

describe('semantic errors', () => {
  it("a quantity outside the contract's vocabulary, and a unit that does not measure the quantity", () => {
    const text = edit(
      edit(BASE, '        quantity: temperature', '        quantity: temprature'),
      '        quantity: mass',
      '        quantity: mass\n        unit: kPa',
    );
    const [quantity, unit] = messages(text);
    expect(quantity).toMatch(
      new RegExp(
        `^${FILE}: instruments\\[0\\]\\.channels\\[0\\]\\.quantity: quantity "temprature" is not in the vocabulary; use one of: temperature, pressure, .* \\(line ${lineOf(text, 'temprature')}\\)$`,
      ),
    );
    expect(unit).toBe(`${FILE}: instruments[1].channels[0].unit: unit "kPa" does not measure mass; use one of: mg, g, kg (line ${lineOf(text, 'unit: kPa')})`);
    const fine = parseConfig(edit(BASE, '        quantity: mass', '        quantity: mass\n        unit: g'), FILE, {});
    expect(fine.instruments[1]!.channels[0]).toMatchObject({ quantity: 'mass', unit: 'g' });
  });

  it('impossible date', () => {
    const text = withCalibration('calibrated: "2025-03-14"\ndue: "2026-02-30"');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].calibration.due: 2026-02-30 is not a real date (line ${lineOf(text, '2026-02-30')})`]);
  });

  it('due before calibrated', () => {
    const text = withCalibration('calibrated: "2025-03-14"\ndue: "2025-03-01"');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].calibration.due: due 2025-03-01 must be after calibrated 2025-03-14 ` + `(line ${lineOf(text, 'due:')})`,
    ]);
  });

  it('both due and intervalMonths', () => {
    const text = withCalibration('calibrated: "2025-03-14"\ndue: "2026-03-14"\nintervalMonths: 12');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].calibration: set either due or intervalMonths, not both (line ${lineOf(text, 'calibration:')})`]);
  });

  it('neither due nor intervalMonths', () => {
    const text = withCalibration('calibrated: "2025-03-14"');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].calibration: missing due date: set due (YYYY-MM-DD) or intervalMonths ` + `(line ${lineOf(text, 'calibration:')})`,
    ]);
  });

  it('duplicate instrument ids', () => {
    const text = edit(BASE, 'id: scale', 'id: oven');
    expect(messages(text)).toEqual([`${FILE}: instruments[1].id: duplicate instrument id "oven" (first used by instruments[0]) (line 14)`]);
  });

  it('duplicate channel ids within an instrument, but the same id in two instruments is fine', () => {
    const channel = '      - id: m\n        address: 0\n        type: int16\n        quantity: mass\n';
    const text = `${BASE}${channel.replace('address: 0', 'address: 1')}`;
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[1].id: duplicate channel id "m" in this instrument (first used by channels[0]) ` +
        `(line ${lineOf(text, 'address: 1') - 1})`,
    ]);
    expect(() => configError(edit(BASE, 'id: t1', 'id: m'))).toThrow('expected a ConfigError, the config loaded');
  });

  it('a type not allowed on its register table, explained by the driver', () => {
    const text = edit(BASE, '        type: int16', '        type: int16\n        function: coil');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[0].type: type int16 is not allowed on a coil: coils and discrete inputs hold bool ` +
        `(line ${lineOf(text, 'type: int16')})`,
    ]);
  });

  it('a string with no characters', () => {
    const text = edit(BASE, 'type: int16', 'type: string(0)');
    expect(messages(text)[0]).toBe(
      `${FILE}: instruments[1].channels[0].type: type string(0) holds no characters: string(n) needs n of at least 1 ` + `(line ${lineOf(text, 'string(0)')})`,
    );
  });

  it('a value running past the last register address', () => {
    const text = edit(BASE, 'address: 0\n        type: int16', 'address: 65535\n        type: int32');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[0].address: int32 at 65535 spans registers 65535 to 65536, past the last ` +
        `address 65535 (line ${lineOf(text, '65535')})`,
    ]);
  });
});

describe('several problems at once', () => {
  it('reports all of them in file order, each with its path and line', () => {
    let text = edit(BASE, '  url: mqtt://localhost:1883', '  url: mqtt://localhost:1883\n  qos: 3\n  topicPrefx: mg');
    text = edit(text, 'type: float32', 'type: float33');
    text = edit(text, 'host: 10.0.0.6', 'host: 10.0.0.6\n      port: 0');
    text = edit(text, 'id: m', 'id: "m/1"');
    const error = configError(text);
    expect(error.problems.map((p) => p.path)).toEqual([
      'mqtt.qos',
      'mqtt',
      'instruments[0].channels[0].type',
      'instruments[1].connection.port',
      'instruments[1].channels[0].id',
    ]);
    expect(error.message.split('\n')).toEqual([
      `${FILE}: mqtt.qos: expected one of 0, 1 or 2, got 3 (line 4)`,
      `${FILE}: mqtt: unknown property "topicPrefx", did you mean "topicPrefix"? (line 5)`,
      `${FILE}: instruments[0].channels[0].type: expected one of bool, int16, uint16, int32, uint32, int64, uint64, ` +
        'float32, float64 or string(n), got "float33" (line 14)',
      `${FILE}: instruments[1].connection.port: expected ≥ 1, got 0 (line 20)`,
      `${FILE}: instruments[1].channels[0].id: expected up to 64 letters, digits, "_", "." or "-", starting with a ` +
        'letter or digit (used in MQTT topics and InfluxDB tags), got "m/1" (line 22)',
    ]);
  });

  it('reports schema errors in one instrument with semantic errors in another', () => {
    let text = edit(BASE, 'type: float32', 'type: float32\n        order: abcd');
    text = `${text}      - id: m\n        function: discrete\n        address: 0\n        type: int16\n        quantity: mass\n`;
    expect(messages(text)).toEqual([
      `${FILE}: instruments[0].channels[0].order: expected one of ABCD, DCBA, BADC or CDAB, got "abcd" (line 13)`,
      `${FILE}: instruments[1].channels[1].id: duplicate channel id "m" in this instrument (first used by channels[0]) (line 24)`,
      `${FILE}: instruments[1].channels[1].type: type int16 is not allowed on a discrete input: coils and discrete inputs ` + 'hold bool (line 27)',
    ]);
  });
});

/** Issue 12, finding 5: config records get the checks DCC records get (one validation for all). */
describe('calibration records in the config', () => {
  const cal = (lines: string) => withCalibration(`calibrated: "2025-03-14"\ndue: "2026-03-14"\n${lines}`);

  it('an error written as a correction (reference − indication) is refused: it would double the error', () => {
    const text = cal('errorTable:\n  - { reference: -40.00, indication: -39.92, error: -0.08, U: 0.10 }');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].calibration.errorTable[0].error: indication -39.92 − reference -40 = 0.08, but the error is -0.08: ` +
        `it looks like a correction (reference − indication); the error is indication − reference (line ${lineOf(text, 'error: -0.08')})`,
    ]);
  });

  it('range min > max, limitedTo outside the range, a channel that does not exist, repeated indications', () => {
    const text = cal(
      'channel: nope\nrange: { min: 100, max: 0 }\nlimitedTo: [{ min: 50, max: 150 }]\nerrorTable:\n' +
        '  - { reference: 20.0, indication: 20.1, U: 0.1 }\n  - { reference: 20.05, indication: 20.1, U: 0.1 }',
    );
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].calibration.channel: no channel "nope" in instrument scale (channels: m): the record would never be used (line ${lineOf(text, 'channel: nope')})`,
      `${FILE}: instruments[1].calibration.range: min 100 is greater than max 0 (line ${lineOf(text, 'range:')})`,
      `${FILE}: instruments[1].calibration.errorTable[1].indication: indication 20.1 repeats point 1: one indication cannot have two errors (line ${lineOf(text, 'reference: 20.05')})`,
    ]);
    const limited = cal('range: { min: 0, max: 100 }\nlimitedTo: [{ min: 50, max: 150 }]');
    expect(messages(limited)).toEqual([
      `${FILE}: instruments[1].calibration.limitedTo[0]: 50 to 150 is not inside the validity range 0 to 100: a limited instrument cannot be used beyond its calibration (line ${lineOf(limited, 'limitedTo')})`,
    ]);
  });

  it('a budget for a channel that does not exist', () => {
    const text = `${BASE}    uncertaintyBudget:\n      - { channel: nope, driftPerYear: 0.01 }\n`;
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].uncertaintyBudget[0].channel: no channel "nope" in instrument scale (channels: m) (line ${lineOf(text, 'channel: nope')})`,
    ]);
  });
});
