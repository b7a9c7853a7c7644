/** The config schema of the HTTP API (composed into config/schema.ts). Filled in by issue 7. */
import { Type, type Static } from '@sinclair/typebox';

export const ApiSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Loopback by default: exposing the API is a decision, not an accident. */
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Bearer token for routes that change state; use ${METROGATE_API_TOKEN}. */
    token: Type.Optional(Type.String({ minLength: 16 })),
  },
  { additionalProperties: false },
);

export type ApiConfig = Static<typeof ApiSchema>;
