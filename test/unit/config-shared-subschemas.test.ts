/**
 * The config is validated against the schema with its repeated subschemas shared
 * (config/shared-subschemas.ts), so that it compiles once per subschema. Users must not be able to
 * tell: for every example config and hundreds of broken variants of each, both schemas give the
 * same verdict, fill in the same defaults and produce the same problems, word for word.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ajvProblems } from '../../config/ajv-problems.js';
import { ConfigSchema } from '../../config/schema.js';
import { shareRepeatedSubschemas } from '../../config/shared-subschemas.js';
import { packageRoot } from '../../config/write-json-schema.js';

const OPTIONS = { allErrors: true, useDefaults: true, strict: true, verbose: true, discriminator: true } as const;
const EXAMPLES = ['example.yaml', 'demo.yaml', 'one-box.yaml'].map((f) => join(packageRoot(), 'config/examples', f));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One broken copy per leaf (a wrong type, or a value no schema allows), per object (an unknown key) and per key (removed). */
function variants(doc: Json): Json[] {
  const out: Json[] = [];
  const visit = (node: Json, replace: (v: Json | undefined) => void) => {
    if (Array.isArray(node)) node.forEach((v, i) => visit(v, (nv) => replace(node.map((x, j) => (j === i ? nv : x)).filter((x) => x !== undefined) as Json[])));
    else if (node !== null && typeof node === 'object') {
      replace({ ...node, zzUnknown: 1 });
      for (const [k, v] of Object.entries(node)) {
        const { [k]: _, ...without } = node;
        replace(without);
        visit(v, (nv) => replace(nv === undefined ? without : { ...node, [k]: nv }));
      }
    } else {
      replace(typeof node === 'string' ? 42 : 'not-a-value');
      if (typeof node === 'string') replace(`${node}-x`);
    }
  };
  visit(doc, (v) => out.push(v as Json));
  return out;
}

function outcome(validate: ValidateFunction, doc: Json) {
  const data = structuredClone(doc);
  const valid = validate(data);
  return { valid, data, problems: valid ? [] : ajvProblems(validate.errors ?? [], data) };
}

describe('the config validated with its repeated subschemas shared', () => {
  const shared = shareRepeatedSubschemas(ConfigSchema);
  const composed = new Ajv(OPTIONS).compile(ConfigSchema);
  const compact = new Ajv({ ...OPTIONS, inlineRefs: false }).compile(shared);

  it('writes each repeated subschema once (the protocols share channels, calibration, characteristics)', () => {
    const defs = Object.keys((shared as { $defs?: object }).$defs ?? {});
    expect(defs.length).toBeGreaterThan(0);
    expect(JSON.stringify(shared).length).toBeLessThan(JSON.stringify(ConfigSchema).length * 0.7);
  });

  it.each(EXAMPLES)('%s and every broken variant of it: same verdict, defaults and problems', (file) => {
    const doc = load(readFileSync(file, 'utf8')) as Json;
    const all = [doc, ...variants(doc)];
    let refused = 0;
    for (const [i, v] of all.entries()) {
      const want = outcome(composed, v);
      expect(outcome(compact, v), `variant ${i}`).toEqual(want);
      if (!want.valid) refused++;
    }
    // The variants must exercise the error path, not just pass.
    expect(refused).toBeGreaterThan(all.length / 3);
  });
});
