/**
 * The controlled quantity vocabulary of the platform contract. A channel's `quantity` is one of
 * these ids and its `unit` one of the units listed for it, so a platform can group and convert
 * readings from many gateways without guessing from free text. The config check enforces it.
 * `value`, `signal` and `status` are the honest names for channels that measure no physical
 * quantity (a raw register, a device state): the platform knows not to treat them as one.
 */
import { unitForms, type UnitForms } from './units.js';

export interface QuantityEntry {
  description: string;
  /** Allowed unit symbols (see units.ts); `any` for the unclassified entries. */
  units: readonly string[] | 'any';
}

export const QUANTITIES: Readonly<Record<string, QuantityEntry>> = {
  temperature: { description: 'thermodynamic or Celsius temperature', units: ['°C', '℃', 'K', 'mK'] },
  pressure: { description: 'pressure', units: ['Pa', 'hPa', 'kPa', 'MPa', 'bar', 'mbar'] },
  humidity: { description: 'relative humidity', units: ['%RH', '%'] },
  mass: { description: 'mass (balances, weighing)', units: ['mg', 'g', 'kg'] },
  voltage: { description: 'electric potential difference', units: ['µV', 'mV', 'V', 'kV'] },
  current: { description: 'electric current', units: ['µA', 'mA', 'A'] },
  resistance: { description: 'electric resistance', units: ['mΩ', 'Ω', 'kΩ', 'MΩ'] },
  power: { description: 'power, or a power output as a share of full scale', units: ['mW', 'W', 'kW', '%'] },
  frequency: { description: 'frequency', units: ['Hz', 'kHz', 'MHz'] },
  length: { description: 'length, displacement', units: ['µm', 'mm', 'cm', 'm'] },
  volume: { description: 'volume', units: ['mL', 'L', 'm³'] },
  flow: { description: 'volume or mass flow rate', units: ['L/min', 'L/h', 'm³/h', 'kg/h'] },
  time: { description: 'time interval', units: ['ms', 's', 'min', 'h'] },
  force: { description: 'force', units: ['N', 'kN'] },
  torque: { description: 'torque', units: ['N·m'] },
  speed: { description: 'speed, or rotational speed', units: ['m/s', 'rpm'] },
  acceleration: { description: 'acceleration', units: ['m/s²'] },
  density: { description: 'density', units: ['kg/m³'] },
  illuminance: { description: 'illuminance', units: ['lx'] },
  'sound level': { description: 'sound pressure level', units: ['dB'] },
  concentration: { description: 'amount fraction', units: ['ppm', '%'] },
  ph: { description: 'pH', units: ['pH'] },
  count: { description: 'a number of events or items', units: ['', '1'] },
  ratio: { description: 'a dimensionless ratio or share', units: ['', '1', '%'] },
  range: { description: "the measuring range an instrument is set to, in that range's unit", units: 'any' },
  status: { description: 'a device state or flag (no physical quantity)', units: [''] },
  state: { description: 'a device state or flag (no physical quantity; same as status)', units: [''] },
  identity: { description: 'text that identifies a device (model, firmware)', units: [''] },
  serial: { description: 'a serial number', units: [''] },
  'serial number': { description: 'a serial number', units: [''] },
  signal: { description: 'an unclassified signal: the platform treats it as no physical quantity', units: 'any' },
  value: { description: 'an unclassified value (what a browse could not classify)', units: 'any' },
  unknown: { description: 'not yet classified (a scan skeleton); readings are kept, not compared', units: 'any' },
};

/**
 * The machine-readable forms of a channel's unit. A unit left out ("") of a physical quantity is
 * not stated, not dimensionless: no code then.
 */
export function channelUnitForms(quantity: string, unit: string): UnitForms | undefined {
  const entry = Object.hasOwn(QUANTITIES, quantity) ? QUANTITIES[quantity]! : undefined;
  if (unit === '' && !(entry && entry.units !== 'any' && entry.units.includes(''))) return undefined;
  return unitForms(unit);
}

/**
 * The config check's message for a channel's quantity and unit, or null when both fit. A unit
 * left out is accepted (configs written before the vocabulary); a unit given must measure the quantity.
 */
export function quantityProblem(quantity: string, unit: string): { field: 'quantity' | 'unit'; message: string } | null {
  const entry = Object.hasOwn(QUANTITIES, quantity) ? QUANTITIES[quantity]! : undefined;
  if (!entry) {
    return { field: 'quantity', message: `quantity "${quantity}" is not in the vocabulary; use one of: ${Object.keys(QUANTITIES).join(', ')}` };
  }
  if (unit === '' || entry.units === 'any' || entry.units.includes(unit)) return null;
  return {
    field: 'unit',
    message: `unit "${unit}" does not measure ${quantity}; use one of: ${entry.units.map((x) => (x === '' ? '"" (none)' : x)).join(', ')}`,
  };
}
