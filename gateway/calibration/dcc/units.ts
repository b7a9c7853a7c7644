/**
 * Units of a certificate (D-SI strings: `\kelvin`, `\milli\kelvin`, `\metre\tothe{-3}`) and of a
 * channel (symbols from the config: `°C`, `kPa`, `%RH`), reduced to SI base dimensions, a factor
 * and an offset so one can be converted into the other.
 *
 * Absolute values convert with the offset (306.248 K → 33.098 °C); differences (errors, expanded
 * uncertainties, resolutions) by the factor only (0.072 K → 0.072 °C). Mixing the two is the
 * classic way to corrupt a temperature table, hence two functions.
 */

/** Exponents of m, kg, s, A, K, mol, cd. */
type Dims = readonly [number, number, number, number, number, number, number];

export interface Unit {
  /** As given: `\milli\kelvin` or `mK`. */
  readonly text: string;
  readonly dims: Dims;
  /** SI value = value × factor + offset. */
  readonly factor: number;
  /** Non-zero only for °C and °F; NaN when an offset unit sits inside a compound (no absolute meaning). */
  readonly offset: number;
}

interface UnitDef {
  dims: Dims;
  factor: number;
  offset?: number;
}

const D = (m = 0, kg = 0, s = 0, A = 0, K = 0, mol = 0, cd = 0): Dims => [m, kg, s, A, K, mol, cd];
const ONE = D();

/** D-SI unit names (without the backslash). `\kilogram` is the SI base unit; prefixes go on `\gram`. */
const DSI_UNITS: Record<string, UnitDef> = {
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

const DSI_PREFIXES: Record<string, number> = {
  quecto: 1e-30, ronto: 1e-27, yocto: 1e-24, zepto: 1e-21, atto: 1e-18, femto: 1e-15, pico: 1e-12,
  nano: 1e-9, micro: 1e-6, milli: 1e-3, centi: 1e-2, deci: 1e-1, deca: 1e1, hecto: 1e2, kilo: 1e3,
  mega: 1e6, giga: 1e9, tera: 1e12, peta: 1e15, exa: 1e18, zetta: 1e21, yotta: 1e24, ronna: 1e27, quetta: 1e30,
};

/** Channel unit symbols as people write them in a config. Matched whole before trying a prefix. */
const SYMBOLS: Record<string, UnitDef> = {
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

const SYMBOL_PREFIXES: Record<string, number> = {
  Q: 1e30, R: 1e27, Y: 1e24, Z: 1e21, E: 1e18, P: 1e15, T: 1e12, G: 1e9, M: 1e6, k: 1e3, h: 1e2, da: 1e1,
  d: 1e-1, c: 1e-2, m: 1e-3, µ: 1e-6, μ: 1e-6, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18,
  z: 1e-21, y: 1e-24, r: 1e-27, q: 1e-30,
};

const DSI_DISPLAY: Record<string, string> = {
  metre: 'm', kilogram: 'kg', gram: 'g', second: 's', ampere: 'A', kelvin: 'K', degreecelsius: '°C',
  mole: 'mol', candela: 'cd', one: '1', percent: '%', radian: 'rad', steradian: 'sr', hertz: 'Hz',
  newton: 'N', pascal: 'Pa', bar: 'bar', joule: 'J', watt: 'W', coulomb: 'C', volt: 'V', farad: 'F',
  ohm: 'Ω', siemens: 'S', weber: 'Wb', tesla: 'T', henry: 'H', litre: 'L', tonne: 't', minute: 'min',
  hour: 'h', day: 'd', degree: '°',
};

const PREFIX_DISPLAY: Record<string, string> = {
  quecto: 'q', ronto: 'r', yocto: 'y', zepto: 'z', atto: 'a', femto: 'f', pico: 'p', nano: 'n', micro: 'µ',
  milli: 'm', centi: 'c', deci: 'd', deca: 'da', hecto: 'h', kilo: 'k', mega: 'M', giga: 'G', tera: 'T',
  peta: 'P', exa: 'E', zetta: 'Z', yotta: 'Y', ronna: 'R', quetta: 'Q',
};

interface Factor {
  def: UnitDef;
  scale: number;
  power: number;
}

function combine(text: string, factors: readonly Factor[]): Unit {
  const dims = [0, 0, 0, 0, 0, 0, 0];
  let factor = 1;
  for (const f of factors) {
    f.def.dims.forEach((d, i) => (dims[i]! += d * f.power));
    factor *= (f.scale * f.def.factor) ** f.power;
  }
  const only = factors.length === 1 ? factors[0]! : undefined;
  const hasOffset = factors.some((f) => f.def.offset);
  const plain = only !== undefined && only.power === 1 && only.scale === 1;
  const offset = !hasOffset ? 0 : plain ? only.def.offset! : Number.NaN;
  return { text, dims: dims as unknown as Dims, factor, offset };
}

/** A D-SI unit string; throws Error naming the token it does not know. */
export function parseDsiUnit(text: string): Unit {
  const trimmed = text.trim();
  const tokens = trimmed.match(/\\[A-Za-z]+(\{[^}]*\})?|[^\\\s]+/g) ?? [];
  if (tokens.length === 0) throw new Error('empty unit');
  const factors: Factor[] = [];
  let prefix = 1;
  let pendingPrefix: string | undefined;
  for (const token of tokens) {
    const tothe = /^\\tothe\{\s*([+-]?\d+(\.\d+)?)\s*\}$/.exec(token);
    if (tothe) {
      const last = factors[factors.length - 1];
      if (!last || pendingPrefix) throw new Error(`\\tothe without a unit before it in "${trimmed}"`);
      last.power *= Number(tothe[1]);
      continue;
    }
    const name = token.startsWith('\\') ? token.slice(1) : undefined;
    if (name !== undefined && DSI_PREFIXES[name] !== undefined) {
      if (pendingPrefix) throw new Error(`two prefixes in a row (\\${pendingPrefix}\\${name}) in "${trimmed}"`);
      pendingPrefix = name;
      prefix = DSI_PREFIXES[name]!;
      continue;
    }
    const def = name !== undefined ? DSI_UNITS[name] : undefined;
    if (!def) throw new Error(`unknown D-SI unit ${token} in "${trimmed}"`);
    factors.push({ def, scale: prefix, power: 1 });
    prefix = 1;
    pendingPrefix = undefined;
  }
  if (pendingPrefix) throw new Error(`prefix \\${pendingPrefix} without a unit in "${trimmed}"`);
  return combine(trimmed, factors);
}

const SUPERSCRIPTS: Record<string, string> = { '⁻': '-', '¹': '1', '²': '2', '³': '3', '⁴': '4' };

/** A channel unit symbol from the config (`°C`, `kPa`, `mV`, `%RH`, `m/s`, `kg·m^-3`). */
export function parseSymbolUnit(text: string): Unit {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('the channel has no unit');
  if (SYMBOLS[trimmed]) return combine(trimmed, [{ def: SYMBOLS[trimmed]!, scale: 1, power: 1 }]);
  const factors: Factor[] = [];
  const parts = trimmed.replace(/[⁻¹²³⁴]/g, (c) => SUPERSCRIPTS[c]!).split(/(?=[/·*])/);
  for (const rawPart of parts) {
    const divide = rawPart.startsWith('/');
    const part = rawPart.replace(/^[/·*]\s*/, '').trim();
    const m = /^(.+?)(?:\^?([+-]?\d+))?$/.exec(part);
    if (!m) throw new Error(`cannot read the unit "${trimmed}"`);
    const symbol = m[1]!;
    const power = (m[2] === undefined ? 1 : Number(m[2])) * (divide ? -1 : 1);
    factors.push({ ...lookupSymbol(symbol, trimmed), power });
  }
  return combine(trimmed, factors);
}

function lookupSymbol(symbol: string, whole: string): { def: UnitDef; scale: number } {
  const exact = SYMBOLS[symbol];
  if (exact) return { def: exact, scale: 1 };
  for (const p of Object.keys(SYMBOL_PREFIXES).sort((a, b) => b.length - a.length)) {
    const rest = symbol.slice(p.length);
    const def = symbol.startsWith(p) ? SYMBOLS[rest] : undefined;
    if (def && !def.offset && rest !== '%' && rest !== '1') return { def, scale: SYMBOL_PREFIXES[p]! };
  }
  throw new Error(`unknown unit symbol "${symbol}" in "${whole}"`);
}

/** The symbol a D-SI unit is shown (and stored in a record) as: `\milli\kelvin` → `mK`. */
export function dsiSymbol(text: string): string {
  const parts: string[] = [];
  let prefix = '';
  for (const token of text.match(/\\[A-Za-z]+(\{[^}]*\})?/g) ?? []) {
    const tothe = /^\\tothe\{\s*(.+?)\s*\}$/.exec(token);
    if (tothe) parts[parts.length - 1] += `^${tothe[1]}`;
    else if (PREFIX_DISPLAY[token.slice(1)] !== undefined) prefix = PREFIX_DISPLAY[token.slice(1)]!;
    else {
      parts.push(prefix + (DSI_DISPLAY[token.slice(1)] ?? token));
      prefix = '';
    }
  }
  return parts.join('·');
}

const sameDims = (a: Dims, b: Dims) => a.every((d, i) => Math.abs(d - b[i]!) < 1e-12);

export function canConvert(from: Unit, to: Unit): boolean {
  return sameDims(from.dims, to.dims);
}

/** Same unit under another name (`\percent` and `%RH`, `\kilo\pascal` and `kPa`): no arithmetic needed. */
export function sameUnit(a: Unit, b: Unit): boolean {
  return canConvert(a, b) && Math.abs(a.factor / b.factor - 1) < 1e-12 && (a.offset === b.offset || (a.offset === 0 && b.offset === 0));
}

/**
 * Binary floating point turns 306.248 − 273.15 into 33.098000000000013; no certificate carries 12
 * significant digits, so rounding there removes the noise without touching a real digit.
 */
export function clean(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

/** An absolute value (a reading, a reference value, a range limit). */
export function convertAbsolute(value: number, from: Unit, to: Unit): number {
  if (!canConvert(from, to)) throw new Error(`${from.text} cannot convert to ${to.text}`);
  if (Number.isNaN(from.offset) || Number.isNaN(to.offset)) {
    throw new Error(`absolute values in ${Number.isNaN(from.offset) ? from.text : to.text} have no meaning (offset unit in a compound)`);
  }
  if (sameUnit(from, to)) return value;
  return clean((value * from.factor + from.offset - to.offset) / to.factor);
}

/** A difference (an error, an expanded uncertainty, a resolution): scale only, never the offset. */
export function convertDifference(value: number, from: Unit, to: Unit): number {
  if (!canConvert(from, to)) throw new Error(`${from.text} cannot convert to ${to.text}`);
  if (sameUnit(from, to)) return value;
  return clean((value * from.factor) / to.factor);
}
