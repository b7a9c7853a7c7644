import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { launchFlags } from '../../gateway/cli/launch-flags.js';

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** JSON log lines seen on stdout and stderr. */
  logs: Record<string, unknown>[];
  /** Waits for a JSON line satisfying `match`, on stdout or stderr. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** metrogate processes start with the node flags of the `metrogate` bin, as users run them. */
export function startNode(script: string, args: string[], nodeArgs: string[] = []): Child {
  const launch = script.endsWith('gateway/cli/main.js') ? launchFlags(script) : [];
  const proc = spawn(process.execPath, [...launch, ...nodeArgs, script, ...args], {
    env: { ...process.env, METROGATE_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      for (const w of waiters.splice(0)) w.match(line) ? w.resolve(line) : waiters.push(w);
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    pid: proc.pid!,
    logs,
    waitFor(match, timeoutMs = 30_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${script}: no matching log line within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ match, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then((code) =>
          reject(
            new Error(
              `${script} exited (${code}) before the expected log line:\n${logs
                .slice(-5)
                .map((l) => JSON.stringify(l))
                .join('\n')}`,
            ),
          ),
        );
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}
