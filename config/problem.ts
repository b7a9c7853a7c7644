/**
 * What a check reports: a problem at a path of the config. The one type every part's semantic
 * check returns (drivers/<protocol>/check-config.ts, gateway/sinks/<sink>/…-config.ts); load-config
 * formats the path and finds the line.
 */
export type PathSegment = string | number;

export interface PathProblem {
  /** `['instruments', 3, 'channels', 2, 'type']`; load-config formats it and finds the line. */
  at: PathSegment[];
  message: string;
  /** Where to look for the line when it differs from `at` (an unknown key under `at`). */
  lineAt?: PathSegment[];
}

/** A part's problems (paths relative to its section) placed under that section. */
export function under(at: readonly PathSegment[], problems: readonly PathProblem[]): PathProblem[] {
  return problems.map((p) => {
    const placed: PathProblem = { at: [...at, ...p.at], message: p.message };
    if (p.lineAt) placed.lineAt = [...at, ...p.lineAt];
    return placed;
  });
}
