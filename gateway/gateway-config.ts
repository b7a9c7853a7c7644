/** The config of this box, `gateway:` (schema composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { Id, TimerMs } from '../config/common.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const GatewaySchema = Type.Object(
  {
    id: Type.Optional(Id),
    logLevel: Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    /** How often the gateway publishes its statistics (gateway/stats topic, gateway_stats in InfluxDB). */
    statsIntervalMs: TimerMs({ minimum: 1000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof GatewaySchema>;
