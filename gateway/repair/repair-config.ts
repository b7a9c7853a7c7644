/** The ingest role's gap repair settings (composed into config/schema.ts as ingest.repair). */
import { Type, type Static } from '@sinclair/typebox';

export const RepairSchema = Type.Object(
  {
    /** Compare storage with the gateways' published last seqs and ask for what is missing. */
    enabled: Type.Boolean({ default: true }),
    /** How often every stream is checked against InfluxDB. */
    checkIntervalMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /**
     * A gateway's last seq counts only once it was published this long ago: what is on its way
     * (in the broker, in another ingester's write buffer) is not mistaken for a gap.
     */
    graceMs: Type.Integer({ minimum: 0, default: 30_000 }),
    /** A range asked for and still missing is asked again after this long. */
    retryMs: Type.Integer({ minimum: 100, default: 60_000 }),
    /** Asks per range before it is counted lost (the gateway's spool no longer holds it). */
    maxAttempts: Type.Integer({ minimum: 1, default: 5 }),
    /** Readings per resend request at most. */
    maxRangeReadings: Type.Integer({ minimum: 1, maximum: 100_000, default: 5000 }),
  },
  { additionalProperties: false },
);

export type RepairConfig = Static<typeof RepairSchema>;

export const DEFAULT_REPAIR: RepairConfig = {
  enabled: true,
  checkIntervalMs: 10_000,
  graceMs: 30_000,
  retryMs: 60_000,
  maxAttempts: 5,
  maxRangeReadings: 5000,
};
