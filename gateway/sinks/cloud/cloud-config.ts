/** The config schema of the cloud platform uplink (composed into config/schema.ts). Filled in by issue 6. */
import { Type, type Static } from '@sinclair/typebox';

export const CloudSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type CloudConfig = Static<typeof CloudSchema>;
