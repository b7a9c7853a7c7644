/**
 * The config of InfluxDB, `influx:` (schema composed into config/schema.ts), and its check. One
 * section for both paths into it: the ingest role (MQTT → InfluxDB) and the direct sink
 * (`influx.sink`, ./influx-sink-config.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Millis, PLAIN_TEXT, PLAIN_TEXT_DESCRIPTION } from '../../../config/common.js';
import type { PathProblem } from '../../../config/problem.js';
import { checkConnection } from '../check-connection.js';
import { InfluxSinkSchema } from './influx-sink-config.js';

const InfluxName = (def: string, what: string) =>
  Type.String({ default: def, minLength: 1, pattern: PLAIN_TEXT, description: `${what}: ${PLAIN_TEXT_DESCRIPTION}` });

export const InfluxSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'http://host:port or https://host:port' }),
    database: InfluxName('metrogate', 'the InfluxDB database'),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    measurement: InfluxName('reading', 'the InfluxDB measurement of readings'),
    batchSize: Type.Integer({ minimum: 1, maximum: 100000, default: 5000 }),
    flushIntervalMs: Millis(1000),
    /** Batches written at once: InfluxDB uses more than one core, and order does not matter. */
    writeConcurrency: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
    /** The gateway's own path into this InfluxDB, behind the spool (the ingest role's is MQTT → InfluxDB). */
    sink: Type.Optional(InfluxSinkSchema),
  },
  { additionalProperties: false },
);

export type InfluxConfig = Static<typeof InfluxSchema>;

/** What the schema cannot say; paths are relative to `influx`. */
export function checkInfluxConfig(influx: InfluxConfig): PathProblem[] {
  return checkConnection(influx);
}
