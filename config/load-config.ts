/**
 * Loads the YAML config once at start: parse (keeping line numbers), fill `${VAR}` from the
 * environment, apply defaults and validate against ConfigSchema, then the semantic checks. Every
 * problem found is collected and thrown together as one ConfigError, so a user fixes the file in
 * one round instead of one error per run.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigSchema, type InstrumentConfig, type MetrogateConfig } from './schema.js';
import { checkInstruments, checkSections, type PathSegment, type PathProblem } from './check-semantics.js';
import { ajvProblems } from './ajv-problems.js';

export interface ConfigProblem {
  /** Where, as `instruments[3].channels[2].type`; empty for the file as a whole. */
  path: string;
  message: string;
  line?: number;
}

/** Every problem of one config file. The CLI prints `message` and exits with `exitCode`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Distinct from 1 (crash) so scripts and systemd can tell "fix the config" apart. */
  readonly exitCode = 2;

  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.path === '' ? '' : `${p.path}: `;
  const line = p.line === undefined ? '' : ` (line ${p.line})`;
  return `${file}: ${where}${p.message}${line}`;
}

/** `['instruments', 3, 'type']` → `instruments[3].type`. */
export function formatPath(at: readonly PathSegment[]): string {
  let out = '';
  for (const seg of at) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

type Env = Readonly<Record<string, string | undefined>>;

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

export function parseConfig(text: string, file: string, env: Env = process.env): MetrogateConfig {
  const lineCounter = new LineCounter();
  // prettyErrors off: the pretty form quotes the source line, which may hold a secret.
  // merge: `<<: *defaults` lets instruments share a connection block, as users expect from YAML.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const syntax = doc.errors[0];
  if (syntax) {
    // Only the first: after a syntax error the parser's follow-up errors are mostly echoes of it.
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw new ConfigError(file, [{ path: '', message: `YAML syntax error: ${syntax.message}`, line }]);
  }
  if (doc.contents === null) {
    throw new ConfigError(file, [{ path: '', message: 'the file is empty: expected site, mqtt and instruments' }]);
  }

  const found: PathProblem[] = [];
  // Substitution runs on parsed values, so a secret holding YAML syntax stays one string.
  const data = substituteEnv(toPlain(doc, file), env, [], found);
  withPathSections(data);
  const validate = validator();
  const valid = validate(data);
  if (!valid) found.push(...ajvProblems(validate.errors ?? [], data));
  found.push(...checkInstruments(instrumentsWithoutErrors(data, found)));
  if (valid) found.push(...checkSections(data as MetrogateConfig));

  if (found.length > 0) {
    const problems = found.map((p): ConfigProblem => {
      const line = lineOf(doc, lineCounter, p.lineAt ?? p.at);
      const problem = { path: formatPath(p.at), message: p.message };
      return line === undefined ? problem : { ...problem, line };
    });
    throw new ConfigError(file, sortByLine(problems));
  }
  return resolvePaths(data as MetrogateConfig, file);
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
  }
  if (config.spool) config.spool.dir = at(config.spool.dir);
  return config;
}

function toPlain(doc: Document, file: string): unknown {
  try {
    // yaml's default (100) refuses a site of 200 instruments that share one `channels: *anchor`;
    // a config is written by its admin, so only a true blow-up (billion laughs) is refused.
    return doc.toJS({ maxAliasCount: 100_000 });
  } catch (err) {
    // E.g. "Excessive alias count": aliases nested to blow up memory.
    throw new ConfigError(file, [{ path: '', message: `YAML error: ${err instanceof Error ? err.message : String(err)}` }]);
  }
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // verbose: the messages quote the offending value and the schema's description.
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, discriminator: true }).compile(ConfigSchema);
  return compiled;
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

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/** Fills `${VAR}` and `${VAR:-default}` in string values (never keys); `$${` stays a literal `${`. */
function substituteEnv(value: unknown, env: Env, at: PathSegment[], problems: PathProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      if (name === undefined) {
        problems.push({ at, message: 'malformed variable reference: write ${NAME} or ${NAME:-default}, or $${ for a literal ${' });
        return match;
      }
      const set = env[name];
      if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
      if (set !== undefined) return set;
      problems.push({ at, message: `environment variable ${name} is not set; or give a default: \${${name}:-value}` });
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...at, i], problems));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, [...at, k], problems);
    return out;
  }
  return value;
}

/** The line of the deepest YAML node the path reaches (the key's line for a mapping entry). */
function lineOf(doc: Document, lc: LineCounter, at: readonly PathSegment[]): number | undefined {
  const lineAt = (node: unknown) => (isNode(node) && node.range ? lc.linePos(node.range[0]).line : undefined);
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const seg of at) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(seg));
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

function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  // Stable sort: file order first, problems without a line (none today) last.
  return [...problems].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}
