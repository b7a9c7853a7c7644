import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterAll } from 'vitest';
import { join } from 'node:path';
import { ROOT } from './e2e-fixture.js';

export const CLI = join(ROOT, 'dist/gateway/cli/main.js');
/** The demo, a development entry (tools/demo), not a command of the installed CLI. */
export const DEMO = join(ROOT, 'dist/tools/demo/main.js');

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
  opts: { umask?: number; script?: string } = {},
): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  assertBuilt();
  const script = opts.script ?? CLI;
  // A umask is set by the shell that starts a program; exec keeps the pid the CLI's own.
  const [command, argv] =
    opts.umask === undefined
      ? [process.execPath, [script, ...args]]
      : ['/bin/sh', ['-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, process.execPath, script, ...args]];
  const child = spawn(command, argv, {
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

export function runCli(args: string[], env: Record<string, string> = {}, opts: { script?: string } = {}): Promise<CliResult> {
  return startCli(args, env, opts).done;
}

/** Resolves when the CLI's output contains `text`; fails at the deadline with what it printed. */
export async function untilOutput(cli: { output: () => string; child: ChildProcess }, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cli.output().includes(text)) {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null)
      throw new Error(`the CLI exited before printing ${JSON.stringify(text)}:\n${cli.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)}; output:\n${cli.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CLI's result, or a failure naming what it printed when it is still running at the deadline. */
export async function exitsWithin(cli: { done: Promise<CliResult>; output: () => string }, timeoutMs: number): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the CLI was still running after ${timeoutMs} ms; output:\n${cli.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([cli.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** True while a process with this pid exists (signal 0 tests for it without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
