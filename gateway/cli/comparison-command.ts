/**
 * `metrogate comparison evaluate FILE`: the platform side of an inter-laboratory comparison.
 * Reads the participants' results (JSON or YAML), computes the reference value, En, ζ, z′ per
 * participant and point (ISO 13528), and writes the report as Markdown and JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { ComparisonSchema, evaluateComparison, type Comparison } from '../checks/comparison.js';
import { comparisonMarkdown } from '../checks/comparison-report.js';

export const COMPARISON_USAGE = `Usage:
  metrogate comparison evaluate FILE.(json|yaml) [--out DIR]
      Evaluate a comparison: per point the reference value (stated, or the weighted mean of the
      results with a χ² consistency check) and per participant En, ζ and, with sigmaPt, z′
      (ISO 13528). Writes DIR/<comparison>.md and .json (default: beside FILE) and prints the
      participants that are not satisfactory. Exit 2 on a bad file.`;

const validate = new Ajv({ allErrors: true, useDefaults: true }).compile<Comparison>(ComparisonSchema);

function readComparison(file: string): Comparison {
  const text = readFileSync(file, 'utf8');
  const data: unknown = /\.json$/i.test(file) ? JSON.parse(text) : load(text, { json: true });
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new Error(`${file}: not a comparison file:\n  ${problems.join('\n  ')}`);
  }
  return data;
}

export async function runComparisonCommand(args: string[]): Promise<number> {
  let values: { out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true }));
  } catch (err) {
    console.error(`metrogate comparison: ${(err as Error).message}\n\n${COMPARISON_USAGE}`);
    return 2;
  }
  const [sub, file, ...extra] = positionals;
  if (values.help) {
    console.log(COMPARISON_USAGE);
    return 0;
  }
  if (sub !== 'evaluate' || !file || extra.length > 0) {
    console.error(`metrogate comparison: expected \`evaluate FILE\`\n\n${COMPARISON_USAGE}`);
    return 2;
  }
  let comparison: Comparison;
  try {
    comparison = readComparison(file);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  let evaluation;
  try {
    evaluation = evaluateComparison(comparison);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    console.error(`${file}: ${err.message}`);
    return 2;
  }
  const out = resolve(values.out ?? dirname(file));
  mkdirSync(out, { recursive: true });
  const base = join(out, basename(comparison.comparison));
  writeFileSync(`${base}.md`, comparisonMarkdown(evaluation));
  writeFileSync(`${base}.json`, `${JSON.stringify(evaluation, null, 2)}\n`);
  const n = evaluation.points.reduce((s, p) => s + p.scores.length, 0);
  console.log(`${comparison.comparison}: ${evaluation.points.length} points, ${n} results evaluated → ${base}.md, ${base}.json`);
  for (const x of evaluation.flagged) console.log(`  not satisfactory: ${x.lab} at ${x.nominal} ${comparison.unit} (En ${x.en.toFixed(2)})`);
  return 0;
}
