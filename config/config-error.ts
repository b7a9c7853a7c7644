/** The error a broken config file raises: every problem, each with its path and line. */
import type { PathSegment } from './problem.js';

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
