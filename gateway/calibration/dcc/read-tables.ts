/**
 * Finds a DCC's error tables and reads them. A table is the set of `dcc:quantity` siblings in one
 * `dcc:list` (or `dcc:data`) that holds a `basic_referenceValue` and at least one of the
 * indication (`basic_measuredValue`) or the error (`basic_measurementError`); the third is
 * computed. Tables under an adjustment's "before" state (`dcc:status` beforeAdjustment, as the
 * PTB good-practice DCCs write it) are as-found; all others in the results are as-left.
 */
import type { Conformity, ErrorTablePoint, Limits } from '../record.js';
import { DccError } from './dcc-error.js';
import { perPoint, readValues, type SiValues } from './si-values.js';
import { clean, type Unit } from './units.js';
import type { CharacteristicConfig } from '../characteristic/characteristic-config.js';
import { inSensorQuantity, readSensorTable, type SensorTable } from './read-sensor-table.js';
import { childOf, childrenOf, DCC_NS, dccPath, descendantsOf, hasRefType, type XmlElement } from './xml-tree.js';

const REFERENCE = new Set(['basic_referenceValue']);
const INDICATION = new Set(['basic_measuredValue', 'basic_indicatedValue', 'basic_indication']);
const ERROR = new Set(['basic_measurementError', 'basic_indicationError', 'basic_error']);
const BEFORE = new Set(['basic_beforeAdjustment', 'basic_asFound']);
const AFTER = new Set(['basic_afterAdjustment', 'basic_asLeft']);
const CONFORMITY = new Set(['basic_conformity']);
const TOLERANCE_LOWER = new Set(['basic_toleranceLimitLower']);
const TOLERANCE_UPPER = new Set(['basic_toleranceLimitUpper']);
const ACCEPTANCE_LOWER = new Set(['basic_acceptanceLimitLower']);
const ACCEPTANCE_UPPER = new Set(['basic_acceptanceLimitUpper']);

/**
 * A quantity's role: its refType, or, where it has none, an `id` that names a role (some DCC
 * writers put `id="basic_measurementError"`). Reading it beats importing the table without its U.
 */
function hasRole(q: XmlElement, roles: ReadonlySet<string>): boolean {
  if (hasRefType(q, roles)) return true;
  const id = q.attrs['id'];
  return q.attrs['refType'] === undefined && id !== undefined && roles.has(id);
}

function byIdOnly(q: XmlElement | undefined): boolean {
  return q !== undefined && q.attrs['refType'] === undefined && q.attrs['id'] !== undefined;
}

export type TableState = 'as-left' | 'as-found';

export interface TableCandidate {
  container: XmlElement;
  state: TableState;
  reference: XmlElement;
  indication?: XmlElement;
  error?: XmlElement;
}

export interface DccTable {
  path: string;
  state: TableState;
  points: ErrorTablePoint[];
  /** Which quantity carried U: the error's (usual) or the indication's. */
  uncertaintyOn?: 'error' | 'indication';
  conformity?: Conformity;
  /** From symmetric, constant tolerance limits (basic_toleranceLimitLower/Upper) on the error. */
  mpe?: number;
  /** What the importer could read only in part, for the user (`dcc show`, `dcc import`). */
  warnings: string[];
  /** A sensor's certificate (indication in Ω, mV, mA): the table as stated, and the CVD fit for Ω. */
  sensor?: SensorTable;
}

export interface SensorOptions {
  /** The channel's characteristic: indications in the sensor quantity are read through it. */
  characteristic?: CharacteristicConfig;
  /** `dcc show` without a characteristic: keep the sensor table (and fit) with no error table. */
  sensorTableOnly?: boolean;
}

function stateOf(container: XmlElement): TableState | undefined {
  let underInfluence = false;
  for (let at: XmlElement | undefined = container; at; at = at.parent) {
    if (hasRefType(at, BEFORE)) return 'as-found';
    if (hasRefType(at, AFTER)) return 'as-left';
    const status = childOf(at, DCC_NS, 'status')?.text;
    if (status === 'beforeAdjustment' || status === 'beforeRepair') return 'as-found';
    if (status === 'afterAdjustment' || status === 'afterRepair') return 'as-left';
    if (at.local === 'influenceCondition') underInfluence = true;
  }
  // A reference table among the influence conditions that is not an adjustment is not a result.
  return underInfluence ? undefined : 'as-left';
}

/** Every error table of the certificate, in document order. */
export function findTables(root: XmlElement): TableCandidate[] {
  const results = dccPath(root, 'measurementResults');
  if (!results) return [];
  const containers = new Set<XmlElement>();
  for (const q of descendantsOf(results, DCC_NS, 'quantity')) {
    if (hasRole(q, REFERENCE) && q.parent) containers.add(q.parent);
  }
  const tables: TableCandidate[] = [];
  for (const container of containers) {
    const quantities = childrenOf(container, DCC_NS, 'quantity');
    const pick = (set: ReadonlySet<string>) => quantities.find((q) => hasRole(q, set));
    const indication = pick(INDICATION);
    const error = pick(ERROR);
    const state = stateOf(container);
    if ((!indication && !error) || !state) continue;
    tables.push({ container, state, reference: pick(REFERENCE)!, indication, error });
  }
  return tables;
}

function sameLength(n: number, values: SiValues | undefined, quantity: XmlElement | undefined): void {
  if (values && quantity && values.values.length !== n) {
    throw new DccError(quantity.path, `${values.values.length} values, but the reference value has ${n}`);
  }
}

/**
 * A sensor's table (indication in Ω, mV, mA): through the channel's characteristic into an error
 * table in `unit`; without a characteristic, refused with both units named (or, for `dcc show`,
 * the sensor table alone).
 */
function readSensor(c: TableCandidate, unit: Unit, opts: SensorOptions): DccTable {
  const { points, sensor } = readSensorTable(c, unit, opts.characteristic);
  const table: DccTable = { path: c.container.path, state: c.state, points: points ?? [], warnings: [], sensor };
  if (points === null) {
    const hint = `the indication is in ${sensor.unit} and the measurand in ${unit.text}: a sensor's certificate imports into a channel with a characteristic (e.g. characteristic: { type: cvd, R0: 100, A: 3.9083e-3, B: -5.775e-7 } for a Pt100)`;
    if (!opts.sensorTableOnly) throw new DccError(c.indication!.path, hint);
    table.warnings.push(hint);
  }
  if (points?.some((p) => p.U !== undefined)) table.uncertaintyOn = 'indication';
  return table;
}

/** Reads a table into `unit`, checking that error = indication − reference where all three are given. */
export function readTable(c: TableCandidate, unit: Unit, opts: SensorOptions = {}): DccTable {
  if (inSensorQuantity(c.indication, unit)) return finish(c, unit, readSensor(c, unit, opts));
  const ref = readValues(c.reference, unit, 'absolute');
  const ind = c.indication && readValues(c.indication, unit, 'absolute');
  const err = c.error && readValues(c.error, unit, 'difference');
  const n = ref.values.length;
  sameLength(n, ind, c.indication);
  sameLength(n, err, c.error);
  const uncertaintyOn = err?.U ? 'error' : ind?.U ? 'indication' : undefined;
  const source = uncertaintyOn === 'error' ? err : uncertaintyOn === 'indication' ? ind : undefined;
  const Us = perPoint(source?.U, n);
  const ks = perPoint(source?.k, n);
  const points = ref.values.map((reference, i): ErrorTablePoint => {
    const indication = ind ? ind.values[i]! : clean(reference + err!.values[i]!);
    const error = err ? err.values[i]! : clean(indication - reference);
    if (ind && err) checkConsistent(c.error!, i, reference, indication, error, ref.halfUlps[i]! + ind.halfUlps[i]! + err.halfUlps[i]!);
    const U = Us[i];
    return { reference, indication, error, ...(U !== undefined && { U, k: ks[i] }) };
  });
  const table: DccTable = { path: c.container.path, state: c.state, points, warnings: [] };
  if (uncertaintyOn) table.uncertaintyOn = uncertaintyOn;
  return finish(c, unit, table);
}

/** What every table gets: notes on quantities identified by id, conformity, limits, points without U. */
function finish(c: TableCandidate, unit: Unit, table: DccTable): DccTable {
  const points = table.points;
  for (const q of [c.reference, c.indication, c.error]) {
    if (byIdOnly(q)) table.warnings.push(`${q!.path}: identified by id="${q!.attrs['id']}" instead of refType: read as that quantity`);
  }
  const conformity = tableConformity(c);
  if (conformity) table.conformity = conformity;
  if (c.error) readLimits(c.error, unit, table);
  points.forEach((p, i) => {
    if (p.U === undefined)
      table.warnings.push(
        `${c.container.path}: ${c.state} point ${i + 1} (reference ${p.reference}) states no uncertainty: readings near it will not be traceable`,
      );
  });
  return table;
}

/**
 * A lab that writes the correction (reference − indication) where the error belongs would make the
 * gateway correct in the wrong direction; the three columns must agree within their rounding.
 */
function checkConsistent(errorQ: XmlElement, i: number, reference: number, indication: number, error: number, rounding: number): void {
  const tolerance = rounding * (1 + 1e-9) + 1e-12 * Math.max(Math.abs(reference), Math.abs(indication), 1);
  const computed = indication - reference;
  if (Math.abs(computed - error) <= tolerance) return;
  const hint = Math.abs(computed + error) <= tolerance ? ': it looks like a correction (reference − indication), not an error (indication − reference)' : '';
  throw new DccError(errorQ.path, `point ${i + 1}: indication ${indication} − reference ${reference} = ${clean(computed)}, but the error is ${error}${hint}`);
}

/**
 * The table's statement from its points' words: the worst word wins (fail, conditionalFail,
 * conditionalPass, pass); the record's decision rule maps the conditional ones (decision.ts).
 */
export function conformityOf(words: readonly string[]): Conformity {
  const order: Conformity[] = ['fail', 'conditionalFail', 'conditionalPass', 'pass'];
  if (words.length === 0 || words.some((w) => !order.includes(w as Conformity))) {
    return words.some((w) => w === 'fail' || w === 'conditionalFail') ? 'fail' : 'not_stated';
  }
  return order.find((o) => words.includes(o))!;
}

function tableConformity(c: TableCandidate): Conformity | undefined {
  for (const q of [c.error, c.indication, c.reference]) {
    if (!q) continue;
    for (const md of descendantsOf(q, DCC_NS, 'metaData')) {
      if (!hasRefType(md, CONFORMITY)) continue;
      const text = (childOf(md, DCC_NS, 'conformityXMLList') ?? childOf(md, DCC_NS, 'conformity'))?.text;
      if (text) return conformityOf(text.split(/\s+/));
    }
  }
  return undefined;
}

/**
 * Tolerance and acceptance limits on the error: constant symmetric tolerance limits become the
 * table's MPE; limits that vary per point (or are asymmetric) go onto the points, never dropped.
 */
function readLimits(errorQ: XmlElement, unit: Unit, table: DccTable): void {
  const limits = descendantsOf(errorQ, DCC_NS, 'quantity');
  const n = table.points.length;
  const pair = (lowerSet: ReadonlySet<string>, upperSet: ReadonlySet<string>): Limits[] | undefined => {
    const lowerQ = limits.find((q) => hasRefType(q, lowerSet));
    const upperQ = limits.find((q) => hasRefType(q, upperSet));
    if (!lowerQ && !upperQ) return undefined;
    if (!lowerQ || !upperQ) throw new DccError((lowerQ ?? upperQ)!.path, 'a lower limit needs its upper limit and vice versa');
    const lower = readValues(lowerQ, unit, 'difference').values;
    const upper = readValues(upperQ, unit, 'difference').values;
    for (const [q, xs] of [
      [lowerQ, lower],
      [upperQ, upper],
    ] as const) {
      if (xs.length !== 1 && xs.length !== n) throw new DccError(q.path, `${xs.length} limits for ${n} points`);
    }
    const at = (xs: number[], i: number) => (xs.length === 1 ? xs[0]! : xs[i]!);
    return table.points.map((_, i) => ({ lower: at(lower, i), upper: at(upper, i) }));
  };
  const tolerance = pair(TOLERANCE_LOWER, TOLERANCE_UPPER);
  const acceptance = pair(ACCEPTANCE_LOWER, ACCEPTANCE_UPPER);
  if (tolerance) {
    const u = tolerance[0]!.upper;
    if (u > 0 && tolerance.every((l) => l.upper === u && l.lower === -u)) table.mpe = u;
    else tolerance.forEach((l, i) => (table.points[i]!.tolerance = l));
  }
  if (acceptance) acceptance.forEach((l, i) => (table.points[i]!.acceptance = l));
}
