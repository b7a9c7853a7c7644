/**
 * Conformity decisions (ILAC-G8:09/2019): each table point's error against its limits under the
 * record's decision rule, or, where no limits are known, the certificate's own statement. Every
 * verdict carries the rule that produced it, in words an assessor can check by hand.
 */
import type { CalibrationRecord, Conformity, DecisionRule, ErrorTablePoint, Limits, Mpe } from './record.js';
import { roundUncertaintyUp } from './uncertainty.js';

export type Result = 'pass' | 'fail' | 'not_stated';

export interface Verdict {
  state: 'as-found' | 'as-left';
  result: Result;
  /** Which rule produced the result, e.g. `guarded acceptance (w = 1·U) against MPE ±0.15`. */
  rule: string;
  /** The point furthest outside (or nearest to) its limit, when points were judged. */
  worst?: { index: number; reference: number; error: number; limit: number };
}

/** The half-width of the MPE at x (the measurand). */
export function mpeAt(mpe: Mpe, x: number): number {
  return typeof mpe === 'number' ? mpe : mpe.constant + mpe.proportional * Math.abs(x);
}

export function describeMpe(mpe: Mpe): string {
  return typeof mpe === 'number' ? `±${mpe}` : `±(${mpe.constant} + ${mpe.proportional}·|x|)`;
}

export function describeRule(rule: DecisionRule | undefined): string {
  return rule?.rule === 'guarded' ? `guarded acceptance (w = ${rule.r ?? 1}·U)` : 'simple acceptance';
}

/**
 * A certificate's word under the record's rule: `conditionalPass` (inside the tolerance, but the
 * uncertainty interval reaches past it) is accepted by simple acceptance and rejected by guarded
 * acceptance; `conditionalFail` is a fail under both.
 */
export function mapStatement(word: Conformity, rule: DecisionRule | undefined): Result {
  if (word === 'pass') return 'pass';
  if (word === 'fail' || word === 'conditionalFail') return 'fail';
  if (word === 'conditionalPass') return rule?.rule === 'guarded' ? 'fail' : 'pass';
  return 'not_stated';
}

type PointOutcome = { result: Result; error: number; limit: number; margin: number; basis: string };

/** Compared with a relative slack, so that an error exactly on a limit (0.1 vs 0.15 − 0.05) is on it. */
function inside(e: number, lo: number, hi: number): boolean {
  const slack = 1e-9 * (Math.abs(lo) + Math.abs(hi));
  return e >= lo - slack && e <= hi + slack;
}

function judgePoint(p: ErrorTablePoint, mpe: Mpe | undefined, rule: DecisionRule | undefined): PointOutcome | undefined {
  if (p.acceptance) {
    const { lower, upper } = p.acceptance;
    return outcome(p.error, lower, upper, "the certificate's acceptance limits");
  }
  const limits: Limits | undefined = p.tolerance ?? (mpe !== undefined ? { lower: -mpeAt(mpe, p.reference), upper: mpeAt(mpe, p.reference) } : undefined);
  if (!limits) return undefined;
  const basis = p.tolerance ? `tolerance ${p.tolerance.lower} to ${p.tolerance.upper}` : `MPE ${describeMpe(mpe!)}`;
  if (rule?.rule !== 'guarded') return outcome(p.error, limits.lower, limits.upper, `simple acceptance against ${basis}`);
  if (p.U === undefined)
    return { result: 'not_stated', error: p.error, limit: limits.upper, margin: -Infinity, basis: `guarded acceptance needs U at reference ${p.reference}` };
  const w = (rule.r ?? 1) * p.U;
  return outcome(p.error, limits.lower + w, limits.upper - w, `${describeRule(rule)} against ${basis}`);
}

function outcome(e: number, lo: number, hi: number, basis: string): PointOutcome {
  const ok = inside(e, lo, hi);
  const limit = e >= 0 ? hi : lo;
  // How far outside (positive) or inside (negative) the nearer limit the error lies.
  const margin = Math.max(e - hi, lo - e);
  return { result: ok ? 'pass' : 'fail', error: e, limit, margin, basis };
}

/** One table (as found or as left) with the certificate's statement for that state. */
export function judgeTable(
  state: Verdict['state'],
  points: readonly ErrorTablePoint[],
  statement: Conformity | undefined,
  record: Pick<CalibrationRecord, 'mpe' | 'decisionRule'>,
): Verdict {
  const judged = points.map((p, index) => ({ p, index, o: judgePoint(p, record.mpe, record.decisionRule) }));
  const withLimits = judged.filter((j) => j.o !== undefined) as { p: ErrorTablePoint; index: number; o: PointOutcome }[];
  const said = statement !== undefined && statement !== 'not_stated' ? mapStatement(statement, record.decisionRule) : undefined;
  const saidText = said && `the certificate states "${statement}" (${describeRule(record.decisionRule)}: ${said})`;
  if (withLimits.length === 0) {
    if (said) return { state, result: said, rule: saidText! };
    return { state, result: 'not_stated', rule: 'no MPE, no tolerance limits and no statement of conformity' };
  }
  const worst = withLimits.reduce((a, b) => (b.o.margin > a.o.margin ? b : a));
  const failed = withLimits.some((j) => j.o.result === 'fail');
  const undetermined = withLimits.length < points.length || withLimits.some((j) => j.o.result === 'not_stated');
  const point = `point ${worst.index + 1} (reference ${worst.p.reference}): error ${worst.o.error}${worst.p.U !== undefined ? ` (U ${roundUncertaintyUp(worst.p.U)})` : ''}, limit ${round(worst.o.limit)}`;
  const computed: Result = failed ? 'fail' : undetermined ? 'not_stated' : 'pass';
  let rule = `${worst.o.basis}; ${point}${undetermined ? '; some points cannot be judged (no limits, or no U for guarded acceptance)' : ''}`;
  let result = computed;
  // A failure either way fails: the lab's statement never overrides a computed failure, nor the reverse.
  if (said === 'fail' && computed !== 'fail') {
    result = 'fail';
    rule = `${saidText}; computed ${computed}: ${rule}`;
  } else if (computed === 'not_stated' && said) {
    result = said;
    rule = `${saidText}; ${rule}`;
  }
  return { state, result, rule, worst: { index: worst.index, reference: worst.p.reference, error: worst.o.error, limit: round(worst.o.limit) } };
}

/** Limits printed without float noise (0.15 − 0.05 = 0.09999999999999999 → 0.1). */
function round(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

export interface RecordVerdicts {
  asLeft: Verdict;
  asFound?: Verdict;
}

const cache = new WeakMap<CalibrationRecord, RecordVerdicts>();

/**
 * The truth table's inputs: the as-left verdict (from the error table and `conformity`) and, when
 * the certificate reports the state before adjustment (a table or a statement), the as-found one.
 */
export function judgeRecord(r: CalibrationRecord): RecordVerdicts {
  let v = cache.get(r);
  if (!v) {
    v = { asLeft: judgeTable('as-left', r.errorTable, r.conformity, r) };
    if ((r.asFound && r.asFound.length > 0) || (r.asFoundConformity !== undefined && r.asFoundConformity !== 'not_stated')) {
      v.asFound = judgeTable('as-found', r.asFound ?? [], r.asFoundConformity, r);
    }
    cache.set(r, v);
  }
  return v;
}
