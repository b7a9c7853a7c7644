import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackChild } from './child-registry.js';
import { ownerFile, sweepOrphans, writeOwner } from './orphan-sweep.js';
import { listensOn } from './socket-owner.js';

/** A broker or database this process started for itself, on a private port and data directory. */
export interface PrivateService {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** The daemon's stdout and stderr; deleted with dataDir by stop(). */
  logFile: string;
  /** SIGTERM, wait, SIGKILL after a timeout, then remove dataDir. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Leaves the daemon running after this process exits (`npm run demo -- --keep`): the exit hook
   * no longer kills it, and without its owner record no later run sweeps it as an orphan. The user
   * stops it (kill PID) and removes dataDir.
   */
  keep(): Promise<void>;
}

export interface DaemonSpec {
  name: string;
  binary: string;
  args: string[];
  dataDir: string;
  /** The port the daemon serves on: readiness also requires that this pid holds it. */
  port: number;
  isReady(): Promise<boolean>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

export interface RunningDaemon {
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  keep(): Promise<void>;
}

/** Start failed; `logTail` holds the daemon's last output, which names the cause. */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(logTail === '' ? message : `${message}\n--- last lines of its log ---\n${logTail}`);
    this.name = 'DaemonStartError';
  }
}

let swept: Promise<unknown> | undefined;

/** Spawns the daemon and resolves once isReady() says so; rejects with its log tail if it exits. */
export async function startDaemon(spec: DaemonSpec): Promise<RunningDaemon> {
  swept ??= sweepOrphans().catch(() => []);
  await swept;
  const logFile = join(spec.dataDir, `${spec.name}.log`);
  // A file, not a pipe: a pipe nobody drains would block the daemon once its buffer fills.
  const logFd = openSync(logFile, 'a');
  // detached: own process group, so a terminal's Ctrl-C reaches only us, and we decide the order
  // of shutdown (the demo flushes to InfluxDB before InfluxDB goes away).
  const child = spawn(spec.binary, spec.args, { cwd: spec.dataDir, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  // The daemon alone must not keep the process alive; the exit hook removes it when we exit.
  child.unref();

  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = err.message;
      resolve();
    });
  });

  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    await rm(spec.dataDir, { recursive: true, force: true });
    throw new DaemonStartError(`${spec.name}: could not start ${spec.binary}: ${exit ?? 'no pid'}`, '');
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exit === undefined) {
        signal(pid, 'SIGTERM');
        // Cancelled once the daemon exits: a pending timer would hold the caller's process open.
        const grace = new AbortController();
        const timedOut = sleep(spec.stopTimeoutMs, true, { signal: grace.signal }).catch(() => false);
        const gaveUp = await Promise.race([exited.then(() => false), timedOut]);
        grace.abort();
        if (gaveUp) {
          signal(pid, 'SIGKILL');
          await exited;
        }
      }
      untrack();
      await rm(spec.dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const hasExited = (): boolean => exit !== undefined;
  const untrack = trackChild({ name: spec.name, pid, dataDir: spec.dataDir, hasExited, stop });
  await writeOwner(spec.dataDir, pid);

  const deadline = Date.now() + spec.startTimeoutMs;
  for (;;) {
    if (exit !== undefined) {
      const tail = await logTail(logFile);
      await stop();
      throw new DaemonStartError(`${spec.name} (${spec.binary}) exited during start-up (${exit})`, tail);
    }
    if ((await spec.isReady().catch(() => false)) && (await listensOn(pid, spec.port))) {
      return { pid, logFile, stop, keep: () => keepRunning(untrack, spec.dataDir) };
    }
    if (Date.now() > deadline) {
      const tail = await logTail(logFile);
      await stop();
      throw new DaemonStartError(`${spec.name} (${spec.binary}) not ready after ${spec.startTimeoutMs} ms`, tail);
    }
    await sleep(10);
  }
}

/**
 * Another process may take a port between freePort() and the daemon's bind; then start again on
 * new ports rather than fail the run.
 */
export async function retryOnPortClash<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const clash = err instanceof DaemonStartError && /address already in use/i.test(err.logTail);
      if (!clash || attempt >= attempts) throw err;
    }
  }
}

async function logTail(logFile: string, lines = 20): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone; the 'exit' event settles `exited`
  }
}

/** No exit hook kills it, and without its owner record no later run sweeps it as an orphan. */
async function keepRunning(untrack: () => void, dataDir: string): Promise<void> {
  untrack();
  await rm(ownerFile(dataDir), { force: true });
}
