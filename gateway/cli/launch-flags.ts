import { readFileSync } from 'node:fs';

/**
 * The node flags the `metrogate` bin starts with, read from its shebang
 * (`#!/usr/bin/env -S node <flags>`), the one place they are written. Whatever starts the
 * gateway as `node <flags> dist/gateway/cli/main.js` (the Dockerfile, compose, the bench) passes
 * the same; gateway/cli/heap-tuning.ts says why they are there.
 */
export function launchFlags(mainFile: string): string[] {
  const first = readFileSync(mainFile, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${mainFile}: expected a shebang "#!/usr/bin/env -S node [flags]", found "${first}"`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
