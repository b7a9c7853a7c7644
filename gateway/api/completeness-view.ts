import { Type, type Static } from '@sinclair/typebox';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** GET /api/completeness: both halves of gap repair as this process runs them. */
export const CompletenessSchema = Type.Object({
  gateway: Type.Union(
    [
      Type.Object({
        epoch: Type.Union([Type.String(), Type.Null()], { description: "the spool's stream epoch (null before the spool is open)" }),
        lastSeq: Type.Record(Type.String(), Type.Integer(), {
          description: 'per instrument, the last seq the spool accepted (published retained on <prefix>/<site>/<gateway>/seqs)',
        }),
        resends: Type.Object({
          requests: count('resend requests received'),
          refused: count('requests not served: another epoch, a duplicate within 5 s, or too many queued'),
          resentReadings: count('readings published again from the spool'),
          unavailableReadings: count('readings asked for that the spool no longer held'),
        }),
        retention: Type.Union([
          Type.Object({
            readings: count('acknowledged readings kept for re-sending (spool.retainAckedHours)'),
            oldestAt: Type.Union([Type.Integer(), Type.Null()], { description: 'when the oldest stored batch was appended, ms since epoch' }),
            evictedByQuota: count('acknowledged readings the quota removed before their retention ended'),
          }),
          Type.Null(),
        ]),
      }),
      Type.Null(),
    ],
    { description: 'null without an MQTT sink' },
  ),
  ingest: Type.Union(
    [
      Type.Object({
        streams: count('streams (site, gateway, instrument, epoch) with a published last seq'),
        checks: count('gap checks against InfluxDB'),
        checkErrors: count('gap checks that failed (InfluxDB unreachable)'),
        requests: count('resend requests this ingester published'),
        requestedReadings: count('readings those requests asked for'),
        repairedReadings: count('readings found missing, asked for and stored since'),
        openReadings: count('readings missing now, below a last seq older than ingest.repair.graceMs'),
        lostReadings: count('readings given up after ingest.repair.maxAttempts asks'),
      }),
      Type.Null(),
    ],
    { description: 'null without the ingest role or with ingest.repair.enabled false' },
  ),
});
export type CompletenessView = Static<typeof CompletenessSchema>;
