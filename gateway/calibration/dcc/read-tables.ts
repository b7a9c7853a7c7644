/**
 * Finds a DCC's error tables and reads them. A table is the set of `dcc:quantity` siblings in one
 * `dcc:list` (or `dcc:data`) that holds a `basic_referenceValue` and at least one of the
 * indication (`basic_measuredValue`) or the error (`basic_measurementError`); the third is
 * computed. Tables under an adjustment's "before" state (`dcc:status` beforeAdjustment, as the
 * PTB good-practice DCCs write it) are as-found; all others in the results are as-left.
 */
import type { Conformity, ErrorTablePoint } from '../record.js';
import { DccError } from './dcc-error.js';
import { perPoint, readValues, type SiValues } from './si-values.js';
import { clean, type Unit } from './units.js';
import { childOf, childrenOf, DCC_NS, dccPath, descendantsOf, hasRefType, type XmlElement } from './xml-tree.js';

const REFERENCE = new Set(['basic_referenceValue']);
const INDICATION = new Set(['basic_measuredValue', 'basic_indicatedValue', 'basic_indication']);
const ERROR = new Set(['basic_measurementError', 'basic_indicationError', 'basic_error']);
const BEFORE = new Set(['basic_beforeAdjustment', 'basic_asFound']);
const AFTER = new Set(['basic_afterAdjustment', 'basic_asLeft']);
const CONFORMITY = new Set(['basic_conformity']);
const TOLERANCE_LOWER = new Set(['basic_toleranceLimitLower']);
const TOLERANCE_UPPER = new Set(['basic_toleranceLimitUpper']);

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
    if (hasRefType(q, REFERENCE) && q.parent) containers.add(q.parent);
  }
  const tables: TableCandidate[] = [];
  for (const container of containers) {
    const quantities = childrenOf(container, DCC_NS, 'quantity');
    const pick = (set: ReadonlySet<string>) => quantities.find((q) => hasRefType(q, set));
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

/** Reads a table into `unit`, checking that error = indication − reference where all three are given. */
export function readTable(c: TableCandidate, unit: Unit): DccTable {
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
  const table: DccTable = { path: c.container.path, state: c.state, points };
  if (uncertaintyOn) table.uncertaintyOn = uncertaintyOn;
  const conformity = tableConformity(c);
  if (conformity) table.conformity = conformity;
  const mpe = c.error && toleranceMpe(c.error, unit);
  if (mpe !== undefined) table.mpe = mpe;
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
  throw new DccError(
    errorQ.path,
    `point ${i + 1}: indication ${indication} − reference ${reference} = ${clean(computed)}, but the error is ${error}${hint}`,
  );
}

const PASS = new Set(['pass', 'conditionalPass']);
const FAIL = new Set(['fail', 'conditionalFail']);

/** Any point that fails fails the table; pass only when every point passes. */
export function conformityOf(words: readonly string[]): Conformity {
  if (words.some((w) => FAIL.has(w))) return 'fail';
  if (words.length > 0 && words.every((w) => PASS.has(w))) return 'pass';
  return 'not_stated';
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

function toleranceMpe(errorQ: XmlElement, unit: Unit): number | undefined {
  const limits = descendantsOf(errorQ, DCC_NS, 'quantity');
  const lowerQ = limits.find((q) => hasRefType(q, TOLERANCE_LOWER));
  const upperQ = limits.find((q) => hasRefType(q, TOLERANCE_UPPER));
  if (!lowerQ || !upperQ) return undefined;
  const lower = readValues(lowerQ, unit, 'difference').values;
  const upper = readValues(upperQ, unit, 'difference').values;
  const u = upper[0]!;
  const symmetric = upper.every((x) => x === u) && lower.every((x) => x === -u) && u > 0;
  return symmetric ? u : undefined;
}
