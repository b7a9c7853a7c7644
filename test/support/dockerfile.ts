/**
 * Just enough of the Dockerfile and .dockerignore syntax to check our deploy files without a
 * Docker daemon: instructions with line continuations, stages, ARG defaults in FROM, COPY with
 * its flags, exec (JSON) and shell forms; .dockerignore patterns with `*`, `**`, `?` and `!`.
 */

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

export interface CopyInstruction {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    let joined = first;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      joined = joined.slice(0, -1).trimEnd() + (next.startsWith('#') ? '' : ' ' + next);
    }
    const m = /^(\S+)\s*([\s\S]*)$/.exec(joined)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  }
  return out;
}

/** Stages in order, with `${ARG}` in FROM resolved from the ARG defaults before the first FROM. */
export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=');
      if (name && value !== undefined) args.set(name.trim(), value.trim());
    } else if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      const image = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => args.get((a ?? b)!) ?? '');
      stages.push({ name: m[2] ?? String(stages.length), image, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** `["a", "b"]` → ['a', 'b']; anything else → null (shell form). */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error(`not a JSON array of strings: ${args}`);
  return parsed as string[];
}

export function parseCopy(ins: Instruction): CopyInstruction {
  let rest = ins.args;
  let from: string | undefined;
  for (;;) {
    const flag = /^--(\w+)(?:=(\S+))?\s+/.exec(rest);
    if (!flag) break;
    if (flag[1] === 'from') from = flag[2];
    rest = rest.slice(flag[0].length);
  }
  const parts = execForm(rest) ?? rest.split(/\s+/);
  return { ...(from ? { from } : {}), sources: parts.slice(0, -1), dest: parts.at(-1)!, line: ins.line };
}

/** The command of `HEALTHCHECK [options] CMD ...`, as argv (exec form) or a shell string. */
export function healthcheckCommand(ins: Instruction): string[] | string {
  const m = /(?:^|\s)CMD\s+([\s\S]*)$/.exec(ins.args);
  if (!m) throw new Error(`line ${ins.line}: HEALTHCHECK without CMD`);
  return execForm(m[1]!) ?? m[1]!;
}

/** A .dockerignore pattern as a regex over slash-separated paths relative to the context root. */
function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
  pattern: string;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '').replace(/^\.\//, '');
      return { negate, regex: patternRegex(pattern), pattern };
    });
}

/**
 * Whether the build context leaves `path` out. As in Docker, a pattern that matches a directory
 * leaves out everything below it, and the last matching rule wins.
 */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.replace(/^\.\//, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const r of rules) if (prefixes.some((p) => r.regex.test(p))) ignored = !r.negate;
  return ignored;
}
