/** The config schema of the durable spool (composed into config/schema.ts). Filled in by issue 6. */
import { Type, type Static } from '@sinclair/typebox';

export const SpoolSchema = Type.Object(
  {
    dir: Type.String({ default: './spool', description: 'directory of the spool files' }),
  },
  { additionalProperties: false },
);

export type SpoolConfig = Static<typeof SpoolSchema>;
