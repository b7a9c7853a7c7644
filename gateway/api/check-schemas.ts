/** Request and response schemas of the intermediate-check routes (routes/checks.ts). */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const CheckResultSchema = Type.Object({
  check: Type.String(),
  kind: Type.Union([Type.Literal('standard'), Type.Literal('redundancy')]),
  instrument: Type.String(),
  channel: Type.String(),
  ts: Type.Integer({ description: 'ms since epoch' }),
  n: Type.Integer({ description: 'result number in the series' }),
  measured: Type.Number(),
  reference: Type.Number(),
  referenceU: Type.Number({ description: 'expanded uncertainty of the reference' }),
  U: Nullable(Type.Number({ description: 'expanded uncertainty of the indication' })),
  difference: Type.Number({ description: 'measured − reference: what the chart plots' }),
  rule: Type.Union([Type.Literal('En'), Type.Literal('MPE'), Type.Literal('redundancy')]),
  score: Type.Number(),
  limit: Type.Number(),
  verdict: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('pending')]),
  z: Nullable(Type.Number()),
  centre: Nullable(Type.Number()),
  sigma: Nullable(Type.Number()),
  cusumHigh: Type.Number(),
  cusumLow: Type.Number(),
  tripped: Type.Array(Type.String()),
  passed: Type.Boolean({ description: 'passed with the chart in control' }),
  quarantined: Type.Boolean({ description: 'this result quarantined the instrument' }),
  by: Nullable(Type.String()),
});

export const CheckSummarySchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('standard'), Type.Literal('redundancy')]),
  instrument: Type.String(),
  channel: Type.String(),
  quarantineOn: Type.Array(Type.String()),
  chart: Type.Object({
    n: Type.Integer(),
    limitsFrom: Nullable(Type.Union([Type.Literal('baseline'), Type.Literal('config')])),
    centre: Nullable(Type.Number()),
    sigma: Nullable(Type.Number()),
    cusumHigh: Type.Number(),
    cusumLow: Type.Number(),
    lastPassedTs: Nullable(Type.Integer()),
  }),
  last: Nullable(CheckResultSchema),
});

export const CheckListSchema = Type.Object({ checks: Type.Array(CheckSummarySchema) });

export const CheckParams = Type.Object({ id: Type.String({ minLength: 1 }) });
export type CheckParams = Static<typeof CheckParams>;

export const CheckResultsQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: '1 to 9999, default 100' })) },
  { additionalProperties: false },
);
export type CheckResultsQuery = Static<typeof CheckResultsQuery>;

export const CheckResultsSchema = Type.Object({ check: Type.String(), results: Type.Array(CheckResultSchema) });

export const CheckRecordBodySchema = Type.Object(
  {
    measured: Type.Optional(Type.Number({ description: "the indication on the check standard; absent: the channel's latest reading (then with its U)" })),
    by: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type CheckRecordBody = Static<typeof CheckRecordBodySchema>;
