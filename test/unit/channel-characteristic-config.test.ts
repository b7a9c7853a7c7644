/** The channel option `characteristic:` as a user writes it: loaded, defaulted, and refused with its path. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { BASE, FILE, edit, lineOf, messages } from './config-fixtures.js';

/** BASE's oven with its channel t1 in °C and a second channel `tc` carrying `characteristic`. */
function oven(characteristic: string, unit = '°C'): string {
  return edit(
    BASE,
    '        quantity: temperature\n',
    `        quantity: temperature\n        unit: °C\n      - id: tc\n        address: 2\n        type: float32\n        quantity: temperature\n        unit: ${unit}\n        characteristic: ${characteristic}\n`,
  );
}

describe('channel characteristic config', () => {
  it('loads a Callendar–Van Dusen PRT', () => {
    const config = parseConfig(oven('{ type: cvd, R0: 100, A: 3.9083e-3, B: -5.775e-7 }'), FILE, {});
    expect(config.instruments[0]!.channels[1]!.characteristic).toEqual({ type: 'cvd', R0: 100, A: 3.9083e-3, B: -5.775e-7 });
  });

  it('refuses a thermocouple whose cold junction names no channel of the instrument', () => {
    const text = oven('{ type: thermocouple, thermocouple: K, coldJunction: { channel: cj } }');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[0].channels[1].characteristic.coldJunction.channel: no channel "cj" in this instrument for the cold junction (channels: t1, tc) (line ${lineOf(text, 'characteristic:')})`,
    ]);
  });

  it('refuses a cold junction on the thermocouple itself, and one not in °C', () => {
    expect(messages(oven('{ type: thermocouple, thermocouple: K, coldJunction: { channel: tc } }'))[0]).toContain(
      'characteristic.coldJunction.channel: the cold junction cannot be the thermocouple\'s own channel "tc"',
    );
    const kelvin = edit(
      oven('{ type: thermocouple, thermocouple: K, coldJunction: { channel: t1 } }'),
      '        unit: °C\n      - id: tc',
      '        unit: K\n      - id: tc',
    );
    expect(messages(kelvin)[0]).toContain('the cold junction channel "t1" must be in °C (it is in "K")');
  });

  it('accepts a thermocouple whose cold junction is a °C channel of the instrument', () => {
    const config = parseConfig(oven('{ type: thermocouple, thermocouple: K, coldJunction: { channel: t1 } }'), FILE, {});
    expect(config.instruments[0]!.channels[1]!.characteristic).toMatchObject({ type: 'thermocouple', coldJunction: { channel: 't1' } });
  });

  it('refuses an IEC 60751 characteristic on a channel that is not in °C', () => {
    const text = oven('{ type: cvd, R0: 100, A: 3.9083e-3, B: -5.775e-7 }', 'K');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[0].channels[1].unit: a cvd characteristic gives °C: the channel's unit must be °C (it is "K") (line ${lineOf(text, 'unit: K')})`,
    ]);
  });

  it('refuses a table that cannot be inverted, naming the two points', () => {
    const text = oven(
      '{ type: table, sensorUnit: Ω, points: [{ reference: 0, indication: 100 }, { reference: 50, indication: 119.4 }, { reference: 40, indication: 139 }] }',
    );
    expect(messages(text)[0]).toContain('instruments[0].channels[1].characteristic: the table is not monotonic between the indications 119.4 and 139');
  });

  it('refuses a characteristic on a flag', () => {
    const text = edit(
      BASE,
      '        type: float32\n        quantity: temperature\n',
      '        function: coil\n        type: bool\n        quantity: temperature\n        unit: °C\n        characteristic: { type: linear, sensorUnit: mA, sensor: { min: 4, max: 20 }, measurand: { min: 0, max: 100 } }\n',
    );
    expect(messages(text)[0]).toContain('instruments[0].channels[0].characteristic: channel "t1" reads a flag or a text: a characteristic needs a number');
  });
});
