/**
 * The config checks of channels' sensor characteristics that a schema cannot express: a table that
 * cannot be inverted, a temperature function on a channel that is not in °C, a thermocouple's
 * cold junction that names no usable channel, a characteristic on a flag or a text.
 */
import type { CharacteristicConfig } from './characteristic-config.js';
import { buildCharacteristic } from './characteristic.js';
import { CharacteristicError } from './table-characteristic.js';

export interface CharacteristicChannel {
  id: string;
  unit?: string;
  /** Modbus register type: `bool` and `string(n)` carry no number to convert. */
  type?: string;
  function?: string;
  characteristic?: CharacteristicConfig;
}

export interface CharacteristicProblem {
  at: (string | number)[];
  message: string;
}

/** IEC 60751 and IEC 60584 give temperatures in °C: the channel must say so, or every value is mislabelled. */
const IN_CELSIUS: ReadonlySet<CharacteristicConfig['type']> = new Set(['cvd', 'thermocouple']);

function notNumeric(ch: CharacteristicChannel): boolean {
  return ch.function === 'coil' || ch.function === 'discrete' || ch.type === 'bool' || (ch.type?.startsWith('string(') ?? false);
}

function coldJunctionProblem(ch: CharacteristicChannel, name: string, channels: readonly CharacteristicChannel[]): string | null {
  if (name === ch.id) return `the cold junction cannot be the thermocouple's own channel "${name}"`;
  const cj = channels.find((c) => c.id === name);
  if (!cj) return `no channel "${name}" in this instrument for the cold junction (channels: ${channels.map((c) => c.id).join(', ')})`;
  if (cj.unit !== '°C') return `the cold junction channel "${name}" must be in °C (it is in "${cj.unit ?? ''}")`;
  if (cj.characteristic?.type === 'thermocouple' && 'channel' in cj.characteristic.coldJunction) {
    return `the cold junction channel "${name}" is itself a thermocouple with a cold junction channel: give it a fixed junction or another sensor`;
  }
  return null;
}

export function checkCharacteristics(channels: readonly CharacteristicChannel[], at: (string | number)[]): CharacteristicProblem[] {
  const problems: CharacteristicProblem[] = [];
  channels.forEach((ch, j) => {
    const c = ch.characteristic;
    if (!c) return;
    const here = [...at, 'channels', j, 'characteristic'];
    if (notNumeric(ch)) problems.push({ at: here, message: `channel "${ch.id}" reads a flag or a text: a characteristic needs a number` });
    if (IN_CELSIUS.has(c.type) && ch.unit !== '°C') {
      problems.push({
        at: [...at, 'channels', j, 'unit'],
        message: `a ${c.type} characteristic gives °C: the channel's unit must be °C (it is "${ch.unit ?? ''}")`,
      });
    }
    if (c.type === 'thermocouple' && 'channel' in c.coldJunction) {
      const problem = coldJunctionProblem(ch, c.coldJunction.channel, channels);
      if (problem) problems.push({ at: [...here, 'coldJunction', 'channel'], message: problem });
    }
    try {
      buildCharacteristic(c);
    } catch (err) {
      if (!(err instanceof CharacteristicError)) throw err;
      problems.push({ at: here, message: err.message });
    }
  });
  return problems;
}
