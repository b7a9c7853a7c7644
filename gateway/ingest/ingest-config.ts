/** The config of the ingest role, `ingest:` (MQTT → InfluxDB; schema composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { RepairSchema } from '../repair/repair-config.js';

/** A site id, or `+` for every site. */
const SiteFilter = Type.String({
  pattern: '^(?:\\+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$',
  description: 'a site id (letters, digits, "_", "." or "-"; no "/", "#" or "+") or "+" alone for every site',
});
export const IngestSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Sites to take in; default every site under the topic prefix. */
    sites: Type.Array(SiteFilter, { default: ['+'], minItems: 1 }),
    /** MQTT 5 shared subscription group: ingesters in one group split the messages between them. */
    group: Type.Optional(Type.String({ pattern: '^[^/#+\\u0000-\\u001f\\u007f]+$', description: 'a topic level without "/", "#", "+" or control characters' })),
    /** How long the broker keeps an ingester's session (and its unacknowledged messages) while it is away. */
    // MQTT 5 carries it in 32 bits; a larger value stalls the broker's CONNACK.
    sessionExpirySeconds: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 3600 }),
    /** The window of timestamps the ingest takes: a point re-stamped to 1970 or into a future week is refused (counted, reason `timestamp`). */
    maxAgeDays: Type.Integer({
      minimum: 1,
      maximum: 36_500,
      default: 400,
      description: 'refuse readings, events and stats stamped more than this many days before now (raise it to backfill older data)',
    }),
    maxAheadMinutes: Type.Integer({
      minimum: 0,
      maximum: 525_600,
      default: 60,
      description: 'refuse readings, events and stats stamped more than this many minutes after now (device clocks ahead)',
    }),
    /** End-to-end completeness: find gaps against the gateways' last seqs and have them re-sent. */
    repair: Type.Optional(RepairSchema),
  },
  { additionalProperties: false },
);

export type IngestConfig = Static<typeof IngestSchema>;
