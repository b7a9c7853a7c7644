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
import { ComparisonOpenSchema, ComparisonSchema, evaluateComparison, type Comparison } from '../checks/comparison.js';
import { comparisonMarkdown } from '../checks/comparison-report.js';
import { NoResultError } from '../checks/comparison-result.js';
import { mergeResults } from '../checks/merge-results.js';
import { readResultFile, RECORD_USAGE, runComparisonRecord, runComparisonSend } from './comparison-record.js';

export const COMPARISON_USAGE = `Usage:
  metrogate comparison evaluate FILE.(json|yaml) [--results RESULT.json]... [--out DIR]
      Evaluate a comparison: per point the reference value (stated, or the weighted mean of the
      results with a χ² consistency check) and per participant En, ζ and, with sigmaPt, z′
      (ISO 13528). --results adds participants' results as \`comparison record\` made them
      (the platform's received messages) to the points of FILE. Writes DIR/<comparison>.md and
      .json (default: beside FILE) and prints the participants that are not satisfactory.
      Exit 2 on a bad file.
${RECORD_USAGE}`;

const ajv = new Ajv({ allErrors: true, useDefaults: true });
const validate = ajv.compile<Comparison>(ComparisonSchema);
// The coordinator's file before the participants' messages are merged in (checked again after).
const validateOpen = ajv.compile<Comparison>(ComparisonOpenSchema);

function problemsOf(errors: { instancePath: string; message?: string }[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('\n  ');
}

/** With results to merge, a point may list fewer than two results of its own (or none). */
function readComparison(file: string, resultsFollow: boolean): Comparison {
  const text = readFileSync(file, 'utf8');
  const data: unknown = /\.json$/i.test(file) ? JSON.parse(text) : load(text, { json: true });
  if (resultsFollow) {
    for (const p of (data as { points?: { results?: unknown }[] } | null)?.points ?? []) if (p && typeof p === 'object') p.results ??= [];
    if (!validateOpen(data)) throw new Error(`${file}: not a comparison file:\n  ${problemsOf(validateOpen.errors)}`);
    return data;
  }
  if (!validate(data)) {
    throw new Error(`${file}: not a comparison file:\n  ${problemsOf(validate.errors)}`);
  }
  return data;
}

export async function runComparisonCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(COMPARISON_USAGE);
    return 0;
  }
  const participant = args[0] === 'record' ? runComparisonRecord : args[0] === 'send' ? runComparisonSend : null;
  if (participant) {
    try {
      return await participant(args.slice(1));
    } catch (err) {
      const parse = err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
      if (!(err instanceof NoResultError) && !parse && !(err instanceof SyntaxError)) throw err;
      console.error(`metrogate comparison ${args[0]}: ${(err as Error).message}${parse ? `\n\n${COMPARISON_USAGE}` : ''}`);
      return 2;
    }
  }
  return evaluate(args);
}

function merged(file: string, comparison: Comparison): Comparison {
  if (!validate(comparison)) throw new Error(`${file} with the results: not a comparison to evaluate:\n  ${problemsOf(validate.errors)}`);
  return comparison;
}

async function evaluate(args: string[]): Promise<number> {
  let values: { out?: string; results?: string[] };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { out: { type: 'string' }, results: { type: 'string', multiple: true } }, allowPositionals: true }));
  } catch (err) {
    console.error(`metrogate comparison: ${(err as Error).message}\n\n${COMPARISON_USAGE}`);
    return 2;
  }
  const [sub, file, ...extra] = positionals;
  if (sub !== 'evaluate' || !file || extra.length > 0) {
    console.error(`metrogate comparison: expected \`evaluate FILE\`, \`record\` or \`send\`\n\n${COMPARISON_USAGE}`);
    return 2;
  }
  let comparison: Comparison;
  try {
    const results = (values.results ?? []).map(readResultFile);
    comparison = results.length === 0 ? readComparison(file, false) : merged(file, mergeResults(readComparison(file, true), results));
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
