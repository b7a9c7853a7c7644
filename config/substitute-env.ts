/**
 * The parsed config copied value by value: `${VAR}` and `${VAR:-default}` filled in from the
 * environment, YAML aliases expanded within a budget, and each string value kept once.
 */
import { Buffer } from 'node:buffer';
import { ConfigError, formatPath } from './config-error.js';
import type { PathProblem, PathSegment } from './problem.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Values the config may hold once aliases are expanded. A site of 1,000 instruments × 100
 * channels is ~1M; more means aliases nested to blow up memory ("billion laughs").
 */
const MAX_VALUES = 5_000_000;

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

interface Walk {
  left: number;
  file: string;
  /** The lists and mappings being copied: meeting one again means an alias inside its own anchor. */
  open: Set<object>;
  /** One copy of each string value: see keep(). */
  strings: Map<string, string>;
}

/** A copy of `parsed` with variables filled in; problems (an unset variable) are added to `problems`. */
export function substituteEnv(parsed: unknown, env: Env, problems: PathProblem[], file: string): unknown {
  return copyValue(parsed, env, [], problems, { left: MAX_VALUES, file, open: new Set(), strings: new Map() });
}

function copyValue(value: unknown, env: Env, at: PathSegment[], problems: PathProblem[], walk: Walk): unknown {
  // Every value is copied here, so this is where aliases expand: the budget stops a blow-up.
  if (--walk.left < 0) {
    throw new ConfigError(walk.file, [
      { path: '', message: `the config expands to more than ${MAX_VALUES.toLocaleString('en')} values: aliases nested to blow up memory?` },
    ]);
  }
  if (typeof value === 'string') return keep(substituteVariables(value, env, at, problems), walk.strings);
  if (typeof value !== 'object' || value === null) return value;
  if (walk.open.has(value)) {
    // `a: &x [*x]` is a list that holds itself: copying it would never end (it overflowed the stack).
    throw new ConfigError(walk.file, [
      {
        path: formatPath(at),
        message: 'an alias refers to a node that contains it (a cycle): an alias may only repeat a node defined before it, outside itself',
      },
    ]);
  }
  walk.open.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v, i) => copyValue(v, env, [...at, i], problems, walk));
  } else {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = copyValue(v, env, [...at, k], problems, walk);
    out = copy;
  }
  walk.open.delete(value);
  return out;
}

/** Fills `${VAR}` and `${VAR:-default}` in a string value (never keys); `$${` stays a literal `${`. */
function substituteVariables(value: string, env: Env, at: PathSegment[], problems: PathProblem[]): string {
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

/**
 * The gateway holds its config for as long as it runs. js-yaml cuts string values out of the file's
 * text, and V8 keeps such a slice as a view on the whole text: one channel id kept the 1.8 MB file
 * of a 200-instrument site alive, and each of its 10,000 channels held its own "holding", "ABCD"
 * and "signal". Each distinct value is copied out of the text once (UTF-16 code units, so any
 * string survives the copy unchanged) and shared by every place that holds it.
 */
function keep(value: string, strings: Map<string, string>): string {
  let kept = strings.get(value);
  if (kept === undefined) strings.set(value, (kept = Buffer.from(value, 'utf16le').toString('utf16le')));
  return kept;
}
