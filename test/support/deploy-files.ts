/**
 * The repository's Dockerfile, read as the deploy tests check it: its stages, the runtime's last
 * instruction of a kind, and where a compiled file of the image comes from.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { type Instruction, parseDockerfile, parseDockerignore, stagesOf } from './dockerfile.js';
import { ROOT } from './e2e-fixture.js';

export const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
export const instructions = parseDockerfile(read('Dockerfile'));
export const stages = stagesOf(instructions);
export const ignore = parseDockerignore(read('.dockerignore'));
export const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
export const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
export const readme = read('README.md');
export const OUT_DIR = tsconfig.compilerOptions.outDir;

export const buildStage = stages[0]!;
export const runtime = stages.at(-1)!;
export const all = (stage: { instructions: Instruction[] }, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
export const last = (keyword: string) => all(runtime, keyword).at(-1);
export const workdir = (stage: { instructions: Instruction[] }) => all(stage, 'WORKDIR').at(-1)?.args ?? '/';

/** The source a compiled file comes from: dist/gateway/cli/main.js → gateway/cli/main.ts. */
export function sourceOf(compiled: string): string {
  const rel = posix.relative(OUT_DIR, compiled);
  if (rel.startsWith('..')) throw new Error(`${compiled} is not under the TypeScript outDir ${OUT_DIR}`);
  return posix.join(tsconfig.compilerOptions.rootDir, rel.replace(/\.js$/, '.ts'));
}
