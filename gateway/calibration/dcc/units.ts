/**
 * Units of a certificate (D-SI strings: `\kelvin`, `\milli\kelvin`, `\metre\tothe{-3}`) and of a
 * channel (symbols from the config: `°C`, `kPa`, `%RH`), reduced to SI base dimensions, a factor
 * and an offset so one can be converted into the other.
 *
 * Absolute values convert with the offset (306.248 K → 33.098 °C); differences (errors, expanded
 * uncertainties, resolutions) by the factor only (0.072 K → 0.072 °C). Mixing the two is the
 * classic way to corrupt a temperature table, hence two functions.
 */
import { DSI_DISPLAY, DSI_PREFIXES, DSI_UNITS, PREFIX_DISPLAY, SYMBOL_PREFIXES, SYMBOLS, type Dims, type UnitDef } from './unit-catalog.js';

export interface Unit {
  /** As given: `\milli\kelvin` or `mK`. */
  readonly text: string;
  readonly dims: Dims;
  /** SI value = value × factor + offset. */
  readonly factor: number;
  /** Non-zero only for °C and °F; NaN when an offset unit sits inside a compound (no absolute meaning). */
  readonly offset: number;
}

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

/**
 * A unit as a user reads it: the symbol of a D-SI string (`\ohm` → Ω), and for one written in
 * base units the named unit it equals (`\kilogram\metre\tothe{2}\second\tothe{-3}\ampere\tothe{-2}`
 * → `kg·m^2·s^-3·A^-2 (Ω)`), never the raw D-SI text.
 */
export function unitLabel(u: Unit): string {
  if (!u.text.startsWith('\\')) return u.text;
  const symbol = dsiSymbol(u.text);
  if (!/[·^]/.test(symbol) || Math.abs(u.factor - 1) > 1e-12) return symbol;
  const named = Object.keys(DSI_DISPLAY).find((n) => {
    const d = DSI_UNITS[n];
    return d !== undefined && d.factor === 1 && !d.offset && sameDims(d.dims, u.dims);
  });
  return named ? `${symbol} (${DSI_DISPLAY[named]})` : symbol;
}

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
  if (!canConvert(from, to)) throw new Error(`${unitLabel(from)} cannot convert to ${unitLabel(to)}`);
  if (Number.isNaN(from.offset) || Number.isNaN(to.offset)) {
    throw new Error(`absolute values in ${Number.isNaN(from.offset) ? from.text : to.text} have no meaning (offset unit in a compound)`);
  }
  if (sameUnit(from, to)) return value;
  return clean((value * from.factor + from.offset - to.offset) / to.factor);
}

/** A difference (an error, an expanded uncertainty, a resolution): scale only, never the offset. */
export function convertDifference(value: number, from: Unit, to: Unit): number {
  if (!canConvert(from, to)) throw new Error(`${unitLabel(from)} cannot convert to ${unitLabel(to)}`);
  if (sameUnit(from, to)) return value;
  return clean((value * from.factor) / to.factor);
}
