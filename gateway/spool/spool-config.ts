/** The config schema of the durable spool (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { TimerMs } from '../../config/common.js';

export const SpoolSchema = Type.Object(
  {
    dir: Type.String({
      default: './spool',
      minLength: 1,
      description: 'directory of the spool files; each site gets <dir>/<site>/spool.sqlite, used by one process at a time',
    }),
    /** Disk quota: beyond it the oldest batches are dropped (counted, logged, exposed). */
    maxBytes: Type.Optional(Type.Integer({ minimum: 65536, description: 'bytes of stored readings, at least 65536' })),
    /** Age quota: batches older than this are dropped even when the disk quota is not reached. */
    maxAgeHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'hours' })),
    /**
     * Keep what every sink acknowledged this long, so the ingest can ask for a range it found
     * missing (a broker that lost queued messages) and get it re-sent. Bounded by the quotas:
     * maxBytes and maxAgeHours still remove the oldest first (counted as evicted).
     */
    retainAckedHours: Type.Optional(Type.Number({ minimum: 0, default: 1, description: 'hours; 0 keeps nothing once acknowledged' })),
    /**
     * SQLite's synchronous setting: `normal` survives a crash or kill -9 of the process; `full` also
     * survives a power cut, at the cost of an fsync per commit (use it with commitIntervalMs).
     */
    synchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'normal' }),
    /**
     * 0: poll cycles that completed in the same turn of the event loop (a wave of instruments)
     * share one transaction, written before the readings go anywhere. > 0: poll cycles
     * of this many milliseconds share one transaction (fewer fsyncs with `full`); readings wait
     * that long before they are sent.
     */
    commitIntervalMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 0 }),
    /** How long a clean stop waits for the sinks to take what is spooled before leaving it on disk. */
    drainTimeoutMs: TimerMs({ minimum: 0, default: 10_000 }),
  },
  { additionalProperties: false },
);

export type SpoolConfig = Static<typeof SpoolSchema>;

/** What a gateway without a `spool:` section uses. */
export const DEFAULT_SPOOL: SpoolConfig = {
  dir: './spool',
  retainAckedHours: 1,
  synchronous: 'normal',
  commitIntervalMs: 0,
  drainTimeoutMs: 10_000,
};
