/**
 * The config schema of intermediate checks (期间核查, composed into config/schema.ts) and the
 * checks a schema cannot express. Each check watches one instrument channel:
 *   - `standard`: the channel measures a known reference (a check resistor, a reference weight),
 *     recorded by an operator (API, `metrogate check record`) or, with `reference`, on a schedule
 *     from another instrument's reference channel read at the same time;
 *   - `redundancy`: a second channel measures the same quantity; |x1 − x2| ≤ k·√(u1² + u2²).
 * Each series of results has an individuals control chart and a CUSUM.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, TimerMs } from '../../config/common.js';

const Channel = Type.String({ minLength: 1 });

export const StandardSchema = Type.Object(
  {
    value: Type.Optional(Type.Number({ description: "the check standard's reference value, in the channel unit (not with `reference`)" })),
    U: Type.Optional(Type.Number({ minimum: 0, description: 'its expanded uncertainty (k = 2), in the channel unit' })),
    rule: Type.Union([Type.Literal('en'), Type.Literal('mpe')], { default: 'en', description: 'en: |x − x_ref| / √(U² + U_ref²) ≤ 1; mpe: |x − x_ref| ≤ mpe' }),
    mpe: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'maximum permissible error, for rule mpe' })),
    reference: Type.Optional(
      Type.Object(
        {
          instrument: Id,
          channel: Channel,
          everyMs: TimerMs({ minimum: 1000, default: 3_600_000, description: 'how often both channels are read together' }),
          maxSkewMs: TimerMs({ minimum: 0, default: 5000, description: 'the two readings at most this far apart' }),
        },
        { additionalProperties: false, description: 'a reference channel of another instrument, compared on a schedule (its U = k·u of its reading)' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RedundancySchema = Type.Object(
  {
    instrument: Type.Optional(Id),
    channel: Channel,
    k: Type.Number({ exclusiveMinimum: 0, default: 2, description: 'coverage factor of the limit k·√(u1² + u2²)' }),
    minDurationMs: TimerMs({ minimum: 0, default: 60_000, description: 'the difference must stay over the limit this long before the check fails' }),
    maxSkewMs: TimerMs({ minimum: 0, default: 1000, description: 'readings of the two channels at most this far apart form a pair' }),
  },
  { additionalProperties: false, description: 'a second channel (default of the same instrument) measuring the same quantity' },
);

export const QuarantineRule = Type.Union(
  ['fail', 'WE1', 'WE2', 'WE3', 'WE4', 'TREND', 'CUSUM'].map((r) => Type.Literal(r)),
  { description: 'fail: the check itself failed; WE1–WE4: Western Electric rules; TREND: six points steadily rising or falling; CUSUM: slow drift' },
);

export const CheckSchema = Type.Object(
  {
    id: Id,
    instrument: Id,
    channel: Channel,
    standard: Type.Optional(StandardSchema),
    redundancy: Type.Optional(RedundancySchema),
    chart: Type.Optional(
      Type.Object(
        {
          baseline: Type.Integer({ minimum: 2, default: 20, description: 'limits from the first N results (moving-range σ)' }),
          centre: Type.Optional(Type.Number({ description: 'set by hand (with sigma): no baseline' })),
          sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    cusum: Type.Optional(
      Type.Object(
        {
          k: Type.Number({ minimum: 0, default: 0.5, description: 'reference value, in σ: half the shift to detect' }),
          h: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'decision interval, in σ' }),
        },
        { additionalProperties: false },
      ),
    ),
    quarantineOn: Type.Array(QuarantineRule, {
      default: ['fail', 'WE1', 'CUSUM'],
      uniqueItems: true,
      description: 'what quarantines the instrument at once (every rule that trips is an event)',
    }),
  },
  { additionalProperties: false },
);

export const ChecksSchema = Type.Object(
  {
    dir: Type.String({ default: './check-results', description: 'check results (<id>.jsonl) and control-chart state (<id>.state.json)' }),
    series: Type.Array(CheckSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type CheckConfig = Static<typeof CheckSchema>;
export type ChecksConfig = Static<typeof ChecksSchema>;
export type QuarantineRuleId = Static<typeof QuarantineRule>;

interface ChannelOwner {
  id: string;
  channels: readonly { id: string }[];
}

/** Problems with paths under `checks`: unknown instruments or channels, a check of neither or both kinds. */
export function checkChecksConfig(checks: ChecksConfig, instruments: readonly ChannelOwner[]): { at: (string | number)[]; message: string }[] {
  const problems: { at: (string | number)[]; message: string }[] = [];
  const channelProblem = (at: (string | number)[], instrument: string, channel: string) => {
    const inst = instruments.find((i) => i.id === instrument);
    if (!inst) problems.push({ at, message: `no instrument "${instrument}" in instruments` });
    else if (!inst.channels.some((c) => c.id === channel)) problems.push({ at, message: `instrument ${instrument} has no channel "${channel}"` });
  };
  const seen = new Set<string>();
  checks.series.forEach((c, i) => {
    const at = ['series', i];
    if (seen.has(c.id)) problems.push({ at: [...at, 'id'], message: `check id "${c.id}" is used twice` });
    seen.add(c.id);
    channelProblem([...at, 'channel'], c.instrument, c.channel);
    if ((c.standard === undefined) === (c.redundancy === undefined)) problems.push({ at, message: 'give exactly one of `standard` or `redundancy`' });
    const s = c.standard;
    if (s) {
      if (s.reference) channelProblem([...at, 'standard', 'reference'], s.reference.instrument, s.reference.channel);
      else if (s.value === undefined || s.U === undefined)
        problems.push({ at: [...at, 'standard'], message: "give the check standard's `value` and `U`, or a `reference` channel" });
      if (s.rule === 'mpe' && s.mpe === undefined) problems.push({ at: [...at, 'standard', 'mpe'], message: 'rule mpe needs `mpe`' });
    }
    const r = c.redundancy;
    if (r) {
      channelProblem([...at, 'redundancy', 'channel'], r.instrument ?? c.instrument, r.channel);
      if ((r.instrument ?? c.instrument) === c.instrument && r.channel === c.channel)
        problems.push({ at: [...at, 'redundancy', 'channel'], message: 'a channel is not redundant with itself' });
    }
    if (c.chart && (c.chart.centre === undefined) !== (c.chart.sigma === undefined))
      problems.push({ at: [...at, 'chart'], message: 'set both `centre` and `sigma`, or neither (limits from the baseline)' });
  });
  return problems;
}
