/**
 * The repository's Dockerfile and .dockerignore, parsed once (test/support/dockerfile.ts) for the
 * tests of the image, its HEALTHCHECK and the compose stack built from it.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { execForm, parseDockerfile, parseDockerignore, stagesOf, type Instruction, type Stage } from './dockerfile.js';
import { ROOT } from './e2e-fixture.js';

/** A file of the repository, as text. */
export const readRepoFile = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

const tsconfig = JSON.parse(readRepoFile('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
/** Where the TypeScript build writes (dist). */
export const OUT_DIR = tsconfig.compilerOptions.outDir;

export const stages: Stage[] = stagesOf(parseDockerfile(readRepoFile('Dockerfile')));
export const buildStage = stages[0]!;
/** The last stage: the image `docker build` makes without a target. */
export const runtime = stages.at(-1)!;
export const dockerignore = parseDockerignore(readRepoFile('.dockerignore'));

/** A stage's instructions of one keyword, in order. */
export const allOf = (stage: { instructions: Instruction[] }, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);
/** The runtime stage's last instruction of a keyword: the one in force (CMD, USER, HEALTHCHECK...). */
export const runtimeLast = (keyword: string): Instruction | undefined => allOf(runtime, keyword).at(-1);
export const workdirOf = (stage: { instructions: Instruction[] }): string => allOf(stage, 'WORKDIR').at(-1)?.args ?? '/';

/** Where the image's CMD reads the config (run --config <path>). */
export const IMAGE_CONFIG = execForm(runtimeLast('CMD')!.args)!.at(-1)!;

/** The source a compiled file comes from: dist/gateway/cli/main.js → gateway/cli/main.ts. */
export function sourceOf(compiled: string): string {
  const rel = posix.relative(OUT_DIR, compiled);
  if (rel.startsWith('..')) throw new Error(`${compiled} is not under the TypeScript outDir ${OUT_DIR}`);
  return posix.join(tsconfig.compilerOptions.rootDir, rel.replace(/\.js$/, '.ts'));
}
