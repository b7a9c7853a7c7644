/**
 * Loads the YAML config once at start: parse, fill `${VAR}` from the environment, apply defaults
 * and validate against ConfigSchema, then the semantic checks. Every problem found is collected
 * and thrown together as one ConfigError, so a user fixes the file in one round instead of one
 * error per run.
 *
 * Two YAML libraries, each for what it does well: js-yaml reads the data (a 200-instrument site
 * written out in full, 1.8 MB, takes it ~0.2 s and ~25 MB; `yaml` took 1.9 s and grew the heap by
 * ~170 MB, which the gateway then kept as resident memory), and `yaml`'s Document, which keeps
 * source positions, is built only when there are problems to put line numbers on.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { CORE_SCHEMA, YAMLException, load as loadYaml, types as yamlTypes } from 'js-yaml';
import { createRequire } from 'node:module';
import type { Document, LineCounter, Pair, YAMLMap } from 'yaml';
import { ConfigSchema, type InstrumentConfig, type MetrogateConfig } from './schema.js';
import { checkInstruments, checkSections, type PathSegment, type PathProblem } from './check-semantics.js';
import { ajvProblems } from './ajv-problems.js';
import { shareRepeatedSubschemas } from './shared-subschemas.js';
import { ConfigError, type ConfigProblem, formatPath } from './config-error.js';
import { substituteEnv, type Env } from './substitute-env.js';

export { ConfigError, type ConfigProblem, formatPath, formatProblem } from './config-error.js';

export function loadConfig(file: string, env: Env = process.env): MetrogateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the config file: ${readFailure(err)}` }]);
  }
  return parseConfig(text, file, env);
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}

// YAML 1.2 core (dates stay strings, as the schema expects) plus `<<: *defaults` merge keys,
// which let instruments share a connection block, as users expect from YAML.
const YAML_SCHEMA = CORE_SCHEMA.extend({ implicit: [yamlTypes.merge] });

export function parseConfig(text: string, file: string, env: Env = process.env): MetrogateConfig {
  const parsed = readYaml(text, file);
  if (parsed === null || parsed === undefined) {
    throw new ConfigError(file, [{ path: '', message: 'the file is empty: expected site, mqtt and instruments' }]);
  }

  const found: PathProblem[] = [];
  // Substitution runs on parsed values, so a secret holding YAML syntax stays one string.
  const data = substituteEnv(parsed, env, found, file);
  withPathSections(data);
  const validate = validator();
  const valid = validate(data);
  if (!valid) found.push(...ajvProblems(validate.errors ?? [], data));
  found.push(...checkInstruments(instrumentsWithoutErrors(data, found)));
  if (valid) found.push(...checkSections(data as MetrogateConfig));

  if (found.length > 0) {
    const lines = sourceLines(text);
    const problems = found.map((p): ConfigProblem => {
      const line = lines(p.lineAt ?? p.at);
      const problem = { path: formatPath(p.at), message: p.message };
      return line === undefined ? problem : { ...problem, line };
    });
    throw new ConfigError(file, sortByLine(problems));
  }
  return resolvePaths(data as MetrogateConfig, file);
}

function readYaml(text: string, file: string): unknown {
  try {
    return loadYaml(text, { schema: YAML_SCHEMA, filename: file });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    // The reason only: the full message quotes the source line, which may hold a secret.
    const line = err.mark ? err.mark.line + 1 : undefined;
    const problem = { path: '', message: `YAML syntax error: ${err.reason}` };
    throw new ConfigError(file, [line === undefined ? problem : { ...problem, line }]);
  }
}

/** Line numbers for problems, from `yaml`'s Document (built here, on the error path only). */
function sourceLines(text: string): (at: readonly PathSegment[]) => number | undefined {
  // Required here rather than imported: a valid config never needs it (~9 MB resident).
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const keys = new WeakMap<object, Map<string, Pair>>();
  return (at) => lineOf(yaml, doc, lineCounter, keys, at);
}

/** Sections whose defaults are paths are always present, so those paths resolve like the rest. */
function withPathSections(data: unknown): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
  const d = data as Record<string, unknown>;
  d.calibration ??= {};
  d.spool ??= {};
}

/**
 * Relative paths in the config are taken from the config file's folder, as a service manager
 * would expect, never from wherever the process happened to be started.
 */
function resolvePaths(config: MetrogateConfig, file: string): MetrogateConfig {
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (config.calibration) {
    config.calibration.recordsDir = at(config.calibration.recordsDir);
    config.calibration.reportsDir = at(config.calibration.reportsDir);
    if (config.calibration.trust !== undefined) config.calibration.trust = at(config.calibration.trust);
  }
  if (config.spool) config.spool.dir = at(config.spool.dir);
  if (config.checks) config.checks.dir = at(config.checks.dir);
  const cloud = config.cloud;
  if (cloud) for (const k of ['ca', 'cert', 'key'] as const) if (cloud[k] !== undefined) cloud[k] = at(cloud[k]);
  for (const inst of config.instruments) {
    // OPC UA: the gateway's certificate store (written on first start) and a user certificate.
    if ('security' in inst && inst.security) inst.security.pkiDir = at(inst.security.pkiDir);
    if ('auth' in inst && inst.auth?.type === 'certificate') {
      inst.auth.certificate = at(inst.auth.certificate);
      inst.auth.privateKey = at(inst.auth.privateKey);
    }
  }
  return config;
}

/**
 * Held weakly: a gateway reads its config at start and on a reload, and its validator (~0.6 MB of
 * generated code) would otherwise stay resident between; loads in a burst (a test suite, `validate`
 * of many files) still share one compile until the next full collection.
 */
let compiled: WeakRef<ValidateFunction> | undefined;
function validator(): ValidateFunction {
  let validate = compiled?.deref();
  if (validate === undefined) {
    // verbose: the messages quote the offending value and the schema's description.
    // inlineRefs: false compiles each shared subschema once (config/shared-subschemas.ts says why).
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, discriminator: true, inlineRefs: false });
    validate = ajv.compile(shareRepeatedSubschemas(ConfigSchema));
    compiled = new WeakRef(validate);
  }
  return validate;
}

/**
 * The semantic checks run on every instrument the schema accepted, so one run reports a bad
 * type in one instrument and a duplicate id in another. Instruments with schema problems are
 * left out (undefined) rather than checked on data of unknown shape.
 */
function instrumentsWithoutErrors(data: unknown, problems: readonly PathProblem[]): (InstrumentConfig | undefined)[] {
  if (typeof data !== 'object' || data === null) return [];
  const instruments: unknown = (data as Record<string, unknown>).instruments;
  if (!Array.isArray(instruments)) return [];
  const bad = new Set<number>();
  for (const p of problems) {
    if (p.at[0] !== 'instruments') continue;
    if (p.at.length === 1) return [];
    if (typeof p.at[1] === 'number') bad.add(p.at[1]);
  }
  return instruments.map((inst: unknown, i) => (bad.has(i) ? undefined : (inst as InstrumentConfig)));
}

/**
 * The line of the deepest YAML node the path reaches (the key's line for a mapping entry). Each
 * mapping's keys are indexed once, so 10,000 problems in one mapping cost 10,000 look-ups, not
 * 10,000 scans of it (that took 3 s).
 */
function lineOf(
  yaml: typeof import('yaml'),
  doc: Document,
  lc: LineCounter,
  keys: WeakMap<object, Map<string, Pair>>,
  at: readonly PathSegment[],
): number | undefined {
  const { isAlias, isMap, isNode, isScalar, isSeq } = yaml;
  const lineAt = (node: unknown) => (isNode(node) && node.range ? lc.linePos(node.range[0]).line : undefined);
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const seg of at) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = keyIndex(node, keys, isScalar).get(String(seg));
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      line = lineAt(node) ?? line;
    } else {
      break;
    }
  }
  return line;
}

function keyIndex(node: YAMLMap, keys: WeakMap<object, Map<string, Pair>>, isScalar: typeof import('yaml').isScalar): Map<string, Pair> {
  let index = keys.get(node);
  if (!index) {
    index = new Map();
    // The first of duplicate keys, as a linear search found it.
    for (const p of node.items) {
      const name = isScalar(p.key) ? String(p.key.value) : String(p.key);
      if (!index.has(name)) index.set(name, p);
    }
    keys.set(node, index);
  }
  return index;
}

function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  // Stable sort: file order first, problems without a line (none today) last.
  return [...problems].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}
