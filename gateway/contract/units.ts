/**
 * The units metrogate knows, as written in configs (the display symbol a reading's `unit`
 * carries), with their machine-readable forms: the UCUM case-sensitive code (what a platform
 * converts with) and the D-SI string (PTB's Digital SI, the form Digital Calibration
 * Certificates use). One table, so the roster, the certificates and the config check agree.
 */
export interface UnitForms {
  /** UCUM (c/s) code; '1' for a dimensionless number, '{status}' style annotations for indicators. */
  ucum: string;
  /** D-SI unit string, e.g. `\degreecelsius`, `\kilo\pascal`; '\one' for a dimensionless number. */
  dsi: string;
}

const u = (ucum: string, dsi: string): UnitForms => ({ ucum, dsi });

/** By the symbol a config writes (and aliases a user may type). */
export const UNITS: Readonly<Record<string, UnitForms>> = {
  '': u('1', '\\one'),
  '1': u('1', '\\one'),
  '%': u('%', '\\percent'),
  '°C': u('Cel', '\\degreecelsius'),
  '℃': u('Cel', '\\degreecelsius'),
  K: u('K', '\\kelvin'),
  mK: u('mK', '\\milli\\kelvin'),
  Pa: u('Pa', '\\pascal'),
  hPa: u('hPa', '\\hecto\\pascal'),
  kPa: u('kPa', '\\kilo\\pascal'),
  MPa: u('MPa', '\\mega\\pascal'),
  bar: u('bar', '\\bar'),
  mbar: u('mbar', '\\milli\\bar'),
  '%RH': u('%', '\\percent'),
  mg: u('mg', '\\milli\\gram'),
  g: u('g', '\\gram'),
  kg: u('kg', '\\kilogram'),
  µV: u('uV', '\\micro\\volt'),
  mV: u('mV', '\\milli\\volt'),
  V: u('V', '\\volt'),
  kV: u('kV', '\\kilo\\volt'),
  µA: u('uA', '\\micro\\ampere'),
  mA: u('mA', '\\milli\\ampere'),
  A: u('A', '\\ampere'),
  mΩ: u('mOhm', '\\milli\\ohm'),
  Ω: u('Ohm', '\\ohm'),
  kΩ: u('kOhm', '\\kilo\\ohm'),
  MΩ: u('MOhm', '\\mega\\ohm'),
  mW: u('mW', '\\milli\\watt'),
  W: u('W', '\\watt'),
  kW: u('kW', '\\kilo\\watt'),
  Hz: u('Hz', '\\hertz'),
  kHz: u('kHz', '\\kilo\\hertz'),
  MHz: u('MHz', '\\mega\\hertz'),
  µm: u('um', '\\micro\\metre'),
  mm: u('mm', '\\milli\\metre'),
  cm: u('cm', '\\centi\\metre'),
  m: u('m', '\\metre'),
  mL: u('mL', '\\milli\\litre'),
  L: u('L', '\\litre'),
  'm³': u('m3', '\\metre\\tothe{3}'),
  'L/min': u('L/min', '\\litre\\minute\\tothe{-1}'),
  'L/h': u('L/h', '\\litre\\hour\\tothe{-1}'),
  'm³/h': u('m3/h', '\\metre\\tothe{3}\\hour\\tothe{-1}'),
  'kg/h': u('kg/h', '\\kilogram\\hour\\tothe{-1}'),
  s: u('s', '\\second'),
  ms: u('ms', '\\milli\\second'),
  min: u('min', '\\minute'),
  h: u('h', '\\hour'),
  N: u('N', '\\newton'),
  kN: u('kN', '\\kilo\\newton'),
  N·m: u('N.m', '\\newton\\metre'),
  lx: u('lx', '\\lux'),
  dB: u('dB', '\\decibel'),
  ppm: u('[ppm]', '\\one'),
  rpm: u('{rev}/min', '\\one\\minute\\tothe{-1}'),
  'm/s': u('m/s', '\\metre\\second\\tothe{-1}'),
  'm/s²': u('m/s2', '\\metre\\second\\tothe{-2}'),
  'kg/m³': u('kg/m3', '\\kilogram\\metre\\tothe{-3}'),
  pH: u('[pH]', '\\one'),
};

export function unitForms(symbol: string): UnitForms | undefined {
  return Object.hasOwn(UNITS, symbol) ? UNITS[symbol] : undefined;
}
