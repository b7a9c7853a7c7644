/**
 * The units the DCC importer knows: D-SI names and prefixes (`\kelvin`, `\milli`), the symbols
 * people write in a config (`°C`, `kPa`, `%RH`) and how a D-SI unit is shown as a symbol. Each is
 * reduced to SI base dimensions, a factor and (for °C and °F) an offset; units.ts does the arithmetic.
 */

/** Exponents of m, kg, s, A, K, mol, cd. */
export type Dims = readonly [number, number, number, number, number, number, number];

export interface UnitDef {
  dims: Dims;
  factor: number;
  offset?: number;
}

export const D = (m = 0, kg = 0, s = 0, A = 0, K = 0, mol = 0, cd = 0): Dims => [m, kg, s, A, K, mol, cd];
export const ONE = D();

/** D-SI unit names (without the backslash). `\kilogram` is the SI base unit; prefixes go on `\gram`. */
export const DSI_UNITS: Record<string, UnitDef> = {
  metre: { dims: D(1), factor: 1 },
  kilogram: { dims: D(0, 1), factor: 1 },
  gram: { dims: D(0, 1), factor: 1e-3 },
  second: { dims: D(0, 0, 1), factor: 1 },
  ampere: { dims: D(0, 0, 0, 1), factor: 1 },
  kelvin: { dims: D(0, 0, 0, 0, 1), factor: 1 },
  degreecelsius: { dims: D(0, 0, 0, 0, 1), factor: 1, offset: 273.15 },
  mole: { dims: D(0, 0, 0, 0, 0, 1), factor: 1 },
  candela: { dims: D(0, 0, 0, 0, 0, 0, 1), factor: 1 },
  one: { dims: ONE, factor: 1 },
  percent: { dims: ONE, factor: 0.01 },
  radian: { dims: ONE, factor: 1 },
  steradian: { dims: ONE, factor: 1 },
  hertz: { dims: D(0, 0, -1), factor: 1 },
  newton: { dims: D(1, 1, -2), factor: 1 },
  pascal: { dims: D(-1, 1, -2), factor: 1 },
  bar: { dims: D(-1, 1, -2), factor: 1e5 },
  joule: { dims: D(2, 1, -2), factor: 1 },
  watt: { dims: D(2, 1, -3), factor: 1 },
  coulomb: { dims: D(0, 0, 1, 1), factor: 1 },
  volt: { dims: D(2, 1, -3, -1), factor: 1 },
  farad: { dims: D(-2, -1, 4, 2), factor: 1 },
  ohm: { dims: D(2, 1, -3, -2), factor: 1 },
  siemens: { dims: D(-2, -1, 3, 2), factor: 1 },
  weber: { dims: D(2, 1, -2, -1), factor: 1 },
  tesla: { dims: D(0, 1, -2, -1), factor: 1 },
  henry: { dims: D(2, 1, -2, -2), factor: 1 },
  litre: { dims: D(3), factor: 1e-3 },
  tonne: { dims: D(0, 1), factor: 1e3 },
  minute: { dims: D(0, 0, 1), factor: 60 },
  hour: { dims: D(0, 0, 1), factor: 3600 },
  day: { dims: D(0, 0, 1), factor: 86400 },
  degree: { dims: ONE, factor: Math.PI / 180 },
};

export const DSI_PREFIXES: Record<string, number> = {
  quecto: 1e-30, ronto: 1e-27, yocto: 1e-24, zepto: 1e-21, atto: 1e-18, femto: 1e-15, pico: 1e-12,
  nano: 1e-9, micro: 1e-6, milli: 1e-3, centi: 1e-2, deci: 1e-1, deca: 1e1, hecto: 1e2, kilo: 1e3,
  mega: 1e6, giga: 1e9, tera: 1e12, peta: 1e15, exa: 1e18, zetta: 1e21, yotta: 1e24, ronna: 1e27, quetta: 1e30,
};

/** Channel unit symbols as people write them in a config. Matched whole before trying a prefix. */
export const SYMBOLS: Record<string, UnitDef> = {
  m: DSI_UNITS.metre!, g: DSI_UNITS.gram!, s: DSI_UNITS.second!, A: DSI_UNITS.ampere!,
  K: DSI_UNITS.kelvin!, mol: DSI_UNITS.mole!, cd: DSI_UNITS.candela!,
  '°C': DSI_UNITS.degreecelsius!, '℃': DSI_UNITS.degreecelsius!, degC: DSI_UNITS.degreecelsius!,
  '°F': { dims: D(0, 0, 0, 0, 1), factor: 5 / 9, offset: (459.67 * 5) / 9 },
  degF: { dims: D(0, 0, 0, 0, 1), factor: 5 / 9, offset: (459.67 * 5) / 9 },
  '1': DSI_UNITS.one!, '%': DSI_UNITS.percent!, '%RH': DSI_UNITS.percent!, '%rh': DSI_UNITS.percent!,
  ppm: { dims: ONE, factor: 1e-6 },
  Hz: DSI_UNITS.hertz!, N: DSI_UNITS.newton!, Pa: DSI_UNITS.pascal!, bar: DSI_UNITS.bar!,
  psi: { dims: D(-1, 1, -2), factor: 6894.757293168 },
  mmHg: { dims: D(-1, 1, -2), factor: 133.322387415 },
  Torr: { dims: D(-1, 1, -2), factor: 101325 / 760 },
  J: DSI_UNITS.joule!, W: DSI_UNITS.watt!, C: DSI_UNITS.coulomb!, V: DSI_UNITS.volt!,
  F: DSI_UNITS.farad!, 'Ω': DSI_UNITS.ohm!, ohm: DSI_UNITS.ohm!, S: DSI_UNITS.siemens!,
  Wb: DSI_UNITS.weber!, T: DSI_UNITS.tesla!, H: DSI_UNITS.henry!,
  L: DSI_UNITS.litre!, l: DSI_UNITS.litre!, t: DSI_UNITS.tonne!,
  min: DSI_UNITS.minute!, h: DSI_UNITS.hour!, d: DSI_UNITS.day!,
};

export const SYMBOL_PREFIXES: Record<string, number> = {
  Q: 1e30, R: 1e27, Y: 1e24, Z: 1e21, E: 1e18, P: 1e15, T: 1e12, G: 1e9, M: 1e6, k: 1e3, h: 1e2, da: 1e1,
  d: 1e-1, c: 1e-2, m: 1e-3, µ: 1e-6, μ: 1e-6, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18,
  z: 1e-21, y: 1e-24, r: 1e-27, q: 1e-30,
};

export const DSI_DISPLAY: Record<string, string> = {
  metre: 'm', kilogram: 'kg', gram: 'g', second: 's', ampere: 'A', kelvin: 'K', degreecelsius: '°C',
  mole: 'mol', candela: 'cd', one: '1', percent: '%', radian: 'rad', steradian: 'sr', hertz: 'Hz',
  newton: 'N', pascal: 'Pa', bar: 'bar', joule: 'J', watt: 'W', coulomb: 'C', volt: 'V', farad: 'F',
  ohm: 'Ω', siemens: 'S', weber: 'Wb', tesla: 'T', henry: 'H', litre: 'L', tonne: 't', minute: 'min',
  hour: 'h', day: 'd', degree: '°',
};

export const PREFIX_DISPLAY: Record<string, string> = {
  quecto: 'q', ronto: 'r', yocto: 'y', zepto: 'z', atto: 'a', femto: 'f', pico: 'p', nano: 'n', micro: 'µ',
  milli: 'm', centi: 'c', deci: 'd', deca: 'da', hecto: 'h', kilo: 'k', mega: 'M', giga: 'G', tera: 'T',
  peta: 'P', exa: 'E', zetta: 'Z', yotta: 'Y', ronna: 'R', quetta: 'Q',
};
