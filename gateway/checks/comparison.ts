/**
 * An inter-laboratory comparison (计量比对) evaluated as the pilot laboratory or the platform
 * does: per measuring point, the reference value (stated, or the participants' weighted mean
 * with its consistency check) and per participant En, z, z′ and ζ with their verdicts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { weightedMean } from './reference-value.js';
import { enNumber, judgeEn, judgeZ, zetaScore, zPrimeScore, zScore, type Result, type Verdict } from './scores.js';

const measured = { value: Type.Number(), U: Type.Number({ exclusiveMinimum: 0 }), k: Type.Number({ exclusiveMinimum: 0, default: 2 }) };
const Measured = Type.Object(measured, { additionalProperties: false });

function comparisonSchema(minResults: number) {
  return Type.Object(
    {
      comparison: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' }),
      artefact: Type.String({ minLength: 1 }),
      quantity: Type.String({ minLength: 1 }),
      unit: Type.String(),
      points: Type.Array(
        Type.Object(
          {
            nominal: Type.Number(),
            /** Stated by the pilot; without it, the weighted mean of the results. */
            reference: Type.Optional(Measured),
            /** Standard deviation for proficiency assessment, for z and z′. */
            sigmaPt: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
            results: Type.Array(Type.Object({ lab: Type.String({ minLength: 1 }), ...measured }, { additionalProperties: false }), { minItems: minResults }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    },
    { additionalProperties: false },
  );
}

export const ComparisonSchema = comparisonSchema(2);
/** The coordinator's file before the participants' results are merged in (comparison evaluate --results). */
export const ComparisonOpenSchema = comparisonSchema(0);

export type Comparison = Static<typeof ComparisonSchema>;

export interface ParticipantScore {
  lab: string;
  value: number;
  U: number;
  difference: number;
  en: number;
  enVerdict: Verdict;
  zeta: number;
  z?: number;
  zPrime?: number;
  zVerdict?: Verdict;
  /** Whether this result formed the weighted-mean reference (its En then allows for the correlation). */
  inReference: boolean;
}

export interface PointEvaluation {
  nominal: number;
  reference: { value: number; U: number; k: number; method: 'stated' | 'weighted mean' };
  consistency?: { chi2: number; critical: number; consistent: boolean; excluded: string[] };
  scores: ParticipantScore[];
}

export interface ComparisonEvaluation {
  comparison: string;
  artefact: string;
  quantity: string;
  unit: string;
  points: PointEvaluation[];
  /** Labs with any |En| > 1 (or |z| ≥ 3), with the points. */
  flagged: { lab: string; nominal: number; en: number }[];
}

function referenceOf(point: Comparison['points'][number]): Pick<PointEvaluation, 'reference' | 'consistency'> & { included: Set<number> } {
  if (point.reference) return { reference: { ...point.reference, method: 'stated' }, included: new Set() };
  const wm = weightedMean(point.results);
  return {
    reference: { value: wm.value, U: 2 * wm.u, k: 2, method: 'weighted mean' },
    consistency: { chi2: wm.chi2, critical: wm.chi2Critical, consistent: wm.consistent, excluded: wm.excluded.map((i) => point.results[i]!.lab) },
    included: new Set(wm.included),
  };
}

function score(r: Result & { lab: string }, ref: Result, inReference: boolean, sigmaPt: number | undefined): ParticipantScore {
  const en = enNumber(r, ref, inReference);
  const out: ParticipantScore = {
    lab: r.lab,
    value: r.value,
    U: r.U,
    difference: r.value - ref.value,
    en,
    enVerdict: judgeEn(en),
    zeta: zetaScore(r, ref, inReference),
    inReference,
  };
  if (sigmaPt !== undefined) {
    out.z = zScore(r.value, ref.value, sigmaPt);
    out.zPrime = zPrimeScore(r.value, ref.value, sigmaPt, ref.U / ref.k);
    // ISO 13528 9.5: z′ only where u(X) is not negligible, i.e. above 0.3 σ_pt.
    out.zVerdict = judgeZ(ref.U / ref.k > 0.3 * sigmaPt ? out.zPrime : out.z);
  }
  return out;
}

export function evaluateComparison(c: Comparison): ComparisonEvaluation {
  const points = c.points.map((point): PointEvaluation => {
    const { reference, consistency, included } = referenceOf(point);
    const scores = point.results.map((r, i) => score({ ...r, k: r.k ?? 2 }, reference, included.has(i), point.sigmaPt));
    return { nominal: point.nominal, reference, consistency, scores };
  });
  const flagged = points.flatMap((p) =>
    p.scores.filter((s) => s.enVerdict !== 'satisfactory' || s.zVerdict === 'unsatisfactory').map((s) => ({ lab: s.lab, nominal: p.nominal, en: s.en })),
  );
  return { comparison: c.comparison, artefact: c.artefact, quantity: c.quantity, unit: c.unit, points, flagged };
}
