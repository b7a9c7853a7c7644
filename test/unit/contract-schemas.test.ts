/**
 * gateway/schemas/*.schema.json are generated from the contract module (gateway/contract/): the
 * committed documents must be exactly what it generates, so the types the code is compiled
 * against and the schemas consumers validate with cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/write-json-schema.js';
import { CONTRACT_DOCUMENTS } from '../../gateway/contract/documents.js';
import { CAL_STATUSES } from '../../gateway/contract/reading.js';
import { publishedText } from '../../gateway/contract/schema-kit.js';
import { SCHEMAS_DIR } from '../../gateway/contract/write-schemas.js';

const dir = join(packageRoot(), SCHEMAS_DIR);
const committed = (file: string) => readFileSync(join(dir, file), 'utf8');

describe('gateway/schemas/ generated from gateway/contract/', () => {
  it.each(CONTRACT_DOCUMENTS.map((d) => [d.file, d] as const))('%s is up to date', (file, doc) => {
    // Not toBe: a stale file would print a long diff instead of the fix.
    const upToDate = committed(file) === publishedText(doc);
    expect(upToDate, `${SCHEMAS_DIR}/${file} is out of date: run \`npm run build && npm run schema\` and commit it`).toBe(true);
  });

  it('every published schema comes from the contract (none is written by hand)', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort();
    expect(files).toEqual(CONTRACT_DOCUMENTS.map((d) => d.file).sort());
  });

  it('each document compiles on its own (a consumer needs no other file, but cloud-batch names reading-batch)', () => {
    for (const doc of CONTRACT_DOCUMENTS) {
      const ajv = new Ajv2020({ strict: false });
      if (doc.file === 'cloud-batch.schema.json') ajv.addSchema(JSON.parse(committed('reading-batch.schema.json')) as object);
      expect(() => ajv.compile(JSON.parse(committed(doc.file)) as object), doc.file).not.toThrow();
    }
  });

  it("states the calibration statuses once: every document lists the contract's", () => {
    for (const doc of CONTRACT_DOCUMENTS) {
      const status = (JSON.parse(committed(doc.file)) as { $defs?: { status?: { enum: string[] } } }).$defs?.status;
      if (status) expect(status.enum, doc.file).toEqual([...CAL_STATUSES]);
    }
  });
});
