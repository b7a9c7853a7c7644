import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_SCHEMA_FILE, jsonSchemaText, packageRoot } from '../../config/write-json-schema.js';

const root = packageRoot();
const committed = readFileSync(join(root, JSON_SCHEMA_FILE), 'utf8');

describe('config/metrogate.schema.json', () => {
  it('is up to date with config/schema.ts', () => {
    // Not toBe: a stale file would print a 400-line diff instead of the fix.
    const upToDate = committed === jsonSchemaText();
    expect(upToDate, `${JSON_SCHEMA_FILE} is out of date: run \`npm run build && npm run schema\` and commit it`).toBe(true);
  });

  it('names its draft and title, for editors', () => {
    const schema = JSON.parse(committed) as Record<string, unknown>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('metrogate configuration');
  });

  it('accepts the example and a config that leaves defaulted options out, as an editor would check them', () => {
    const validate = new Ajv({ allErrors: true, strict: true, discriminator: true }).compile(JSON.parse(committed) as object);
    const example = parse(readFileSync(join(root, 'config/examples/example.yaml'), 'utf8')) as unknown;
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    const minimal = { site: 's', mqtt: { url: 'mqtt://b' }, gateway: {}, instruments: [] };
    expect(validate(minimal), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...minimal, mqtt: { url: 'http://b' } })).toBe(false);
  });
});
