import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterAll } from 'vitest';
import { join } from 'node:path';
import { ROOT } from './e2e-fixture.js';

export const CLI = join(ROOT, 'dist/gateway/cli/main.js');

/** Tests that run the real CLI use the build; `npm test` builds first (pretest). */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it for you)`);
  const src = statSync(join(ROOT, 'gateway/cli/main.ts')).mtimeMs;
  if (statSync(CLI).mtimeMs < src) throw new Error(`${CLI} is older than its source: run \`npm run build\``);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every CLI a test file started: killed when the file ends, whatever its tests did. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, METROGATE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  running.add(child);
  const done = new Promise<CliResult>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}
