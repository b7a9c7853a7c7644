/** The config schema of the direct InfluxDB sink, `influx.sink` (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';

/**
 * The sink writes to the InfluxDB of the `influx:` section it sits in, with that section's
 * database, measurement, credentials, batchSize (lines per request) and writeConcurrency
 * (requests at once): one InfluxDB, one set of limits, whichever path writes to it.
 */
export const InfluxSinkSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'write readings from the spool straight to InfluxDB (no broker on the way)' }),
    /** Poll cycles awaiting InfluxDB's 204 at once: bounds memory during a replay, and how much one request can gather. */
    maxInFlight: Type.Integer({ minimum: 1, maximum: 65535, default: 512, description: 'spool batches (poll cycles) awaiting InfluxDB at once' }),
    /** How long a request waits for more poll cycles before it is sent with fewer than batchSize lines. */
    lingerMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 20, description: 'milliseconds' }),
    /** false: live readings overtake a replay (dashboards stay live); true: strictly oldest first. */
    inOrder: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type InfluxSinkConfig = Static<typeof InfluxSinkSchema>;
