/**
 * Reads the D-SI value of a `dcc:quantity`: `si:real`, `si:realListXMLList` (space-separated
 * lists) or `si:hybrid` (the same values in several units), with an expanded uncertainty in the
 * older form (`si:expandedUnc`, `si:expandedUncXMLList`) or the D-SI 2.x form
 * (`si:measurementUncertaintyUnivariate[XMLList]` with `si:expandedMU[XMLList]` or
 * `si:standardMU[XMLList]`), converted into a target unit.
 */
import { DccError } from './dcc-error.js';
import { canConvert, clean, convertAbsolute, convertDifference, parseDsiUnit, sameUnit, unitLabel, type Unit } from './units.js';
import { childOf, SI_NS, type XmlElement } from './xml-tree.js';

/** One representation of a quantity, in its own unit. */
export interface SiRep {
  el: XmlElement;
  unit: Unit;
  values: number[];
  /** Half a unit of the last digit written, per value: how far a rounded value may be off. */
  halfUlps: number[];
  /** Expanded uncertainty, one value or one per value. */
  U?: number[];
  k?: number[];
}

/** A quantity's values converted into the target unit. */
export interface SiValues {
  path: string;
  /** The representation used, as written (`\kelvin`). */
  unitText: string;
  values: number[];
  halfUlps: number[];
  U?: number[];
  k?: number[];
}

export type Kind = 'absolute' | 'difference';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumbers(el: XmlElement): { values: number[]; halfUlps: number[] } {
  const words = el.text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new DccError(el.path, 'no value');
  const values: number[] = [];
  const halfUlps: number[] = [];
  for (const w of words) {
    const m = DECIMAL.exec(w);
    if (!m) throw new DccError(el.path, `"${w}" is not a decimal number`);
    const fraction = m[1]!.includes('.') ? m[1]!.split('.')[1]!.length : 0;
    const exponent = m[2] ? Number(m[2].slice(1)) : 0;
    values.push(Number(w));
    halfUlps.push(0.5 * 10 ** (exponent - fraction));
  }
  return { values, halfUlps };
}

function numbersOf(parent: XmlElement, local: string): number[] | undefined {
  const el = childOf(parent, SI_NS, local);
  return el ? parseNumbers(el).values : undefined;
}

function unitOf(el: XmlElement): Unit {
  const words = el.text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new DccError(el.path, 'no unit');
  if (new Set(words).size > 1) throw new DccError(el.path, `one unit per list is supported, found ${[...new Set(words)].join(', ')}`);
  try {
    return parseDsiUnit(words[0]!);
  } catch (err) {
    throw new DccError(el.path, (err as Error).message);
  }
}

/** U and k from whichever uncertainty form the element carries; undefined when it has none. */
function readUncertainty(el: XmlElement, list: boolean): { U: number[]; k: number[] } | undefined {
  const L = list ? 'XMLList' : '';
  const old = childOf(el, SI_NS, `expandedUnc${L}`);
  const mu = childOf(el, SI_NS, `measurementUncertaintyUnivariate${L}`);
  const expanded = old ?? childOf(mu, SI_NS, `expandedMU${L}`);
  if (expanded) {
    const U = numbersOf(expanded, old ? `uncertainty${L}` : `valueExpandedMU${L}`);
    const k = numbersOf(expanded, `coverageFactor${L}`);
    if (!U) throw new DccError(expanded.path, `expanded uncertainty without its value (si:${old ? 'uncertainty' : 'valueExpandedMU'}${L})`);
    if (!k) throw new DccError(expanded.path, `expanded uncertainty without its coverage factor (si:coverageFactor${L})`);
    return { U, k };
  }
  const interval = childOf(el, SI_NS, `coverageInterval${L}`) ?? childOf(mu, SI_NS, `coverageIntervalMU${L}`);
  if (interval) {
    // Dropping it would leave the reading without the certificate's share of its uncertainty.
    throw new DccError(interval.path, 'uncertainty given as a coverage interval: only an expanded or a standard uncertainty can be imported');
  }
  const standard = childOf(mu, SI_NS, `standardMU${L}`);
  if (standard) {
    const u = numbersOf(standard, `valueStandardMU${L}`);
    if (!u) throw new DccError(standard.path, `standard uncertainty without its value (si:valueStandardMU${L})`);
    return { U: u, k: [1] };
  }
  return undefined;
}

function readRep(el: XmlElement): SiRep {
  const list = el.local === 'realListXMLList';
  const valueEl = childOf(el, SI_NS, list ? 'valueXMLList' : 'value');
  const unitEl = childOf(el, SI_NS, list ? 'unitXMLList' : 'unit');
  if (!valueEl) throw new DccError(el.path, `no si:${list ? 'valueXMLList' : 'value'}`);
  if (!unitEl) throw new DccError(el.path, `no si:${list ? 'unitXMLList' : 'unit'}`);
  const { values, halfUlps } = parseNumbers(valueEl);
  const unc = readUncertainty(el, list);
  for (const [name, xs] of [
    ['uncertainty', unc?.U],
    ['coverage factor', unc?.k],
  ] as const) {
    if (xs && xs.length !== 1 && xs.length !== values.length) {
      throw new DccError(el.path, `${xs.length} ${name} values for ${values.length} values`);
    }
  }
  if (unc?.U.some((u) => u < 0)) throw new DccError(el.path, 'negative uncertainty');
  if (unc?.k.some((k) => !(k > 0))) throw new DccError(el.path, 'coverage factor must be > 0');
  return { el, unit: unitOf(unitEl), values, halfUlps, ...unc };
}

const VALUE_FORMS = new Set(['real', 'realListXMLList', 'constant']);

/** Every representation of the quantity's value (several for `si:hybrid`); [] when it has none. */
export function readReps(quantity: XmlElement): SiRep[] {
  const reps: SiRep[] = [];
  for (const child of quantity.children) {
    if (child.ns !== SI_NS) continue;
    if (VALUE_FORMS.has(child.local)) reps.push(readRep(child));
    else if (child.local === 'hybrid') {
      for (const h of child.children) if (h.ns === SI_NS && VALUE_FORMS.has(h.local)) reps.push(readRep(h));
    }
  }
  return reps;
}

/**
 * The quantity's values in `target`: from the representation in that very unit when a hybrid has
 * one (no arithmetic, the certificate's own digits), else from the first that converts. A hybrid
 * may carry the uncertainty on another representation only; it is then taken from there.
 */
export function readValues(quantity: XmlElement, target: Unit, kind: Kind): SiValues {
  const reps = readReps(quantity);
  if (reps.length === 0) throw new DccError(quantity.path, 'no si:real, si:realListXMLList or si:hybrid value');
  const convertible = reps.filter((r) => canConvert(r.unit, target));
  const chosen = convertible.find((r) => sameUnit(r.unit, target)) ?? convertible[0];
  if (!chosen) {
    throw new DccError(quantity.path, `unit ${reps.map((r) => unitLabel(r.unit)).join(' / ')} cannot convert to ${unitLabel(target)}`);
  }
  const toValue = (v: number) => (kind === 'absolute' ? convertAbsolute(v, chosen.unit, target) : convertDifference(v, chosen.unit, target));
  const withU = chosen.U ? chosen : convertible.find((r) => r.U && r.values.length === chosen.values.length);
  try {
    return {
      path: chosen.el.path,
      unitText: chosen.unit.text,
      values: chosen.values.map(toValue),
      halfUlps: chosen.halfUlps.map((h) => convertDifference(h, chosen.unit, target)),
      ...(withU?.U && { U: withU.U.map((u) => clean(convertDifference(u, withU.unit, target))), k: withU.k }),
    };
  } catch (err) {
    throw new DccError(chosen.el.path, (err as Error).message);
  }
}

/** A single value (range limits, resolution): the quantity must hold exactly one. */
export function readSingle(quantity: XmlElement, target: Unit, kind: Kind): number {
  const v = readValues(quantity, target, kind);
  if (v.values.length !== 1) throw new DccError(quantity.path, `expected one value, found ${v.values.length}`);
  return v.values[0]!;
}

/** The unit of the quantity's first representation: the record's unit when the caller names none. */
export function firstUnit(quantity: XmlElement): Unit | undefined {
  return readReps(quantity)[0]?.unit;
}

/** Expands a one-value list to n values (a single U or k applies to every point). */
export function perPoint(xs: readonly number[] | undefined, n: number): (number | undefined)[] {
  if (!xs) return Array.from({ length: n }, () => undefined);
  return xs.length === 1 ? Array.from({ length: n }, () => xs[0]) : [...xs];
}
