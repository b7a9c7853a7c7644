import { rmSync } from 'node:fs';

/** A daemon this process started and must not leave behind. */
export interface TrackedChild {
  readonly name: string;
  readonly pid: number;
  readonly dataDir: string;
  /** True once it exited: its pid may then belong to someone else and must not be signalled. */
  hasExited(): boolean;
  /** Graceful stop: SIGTERM, wait, SIGKILL, remove dataDir. */
  stop(): Promise<void>;
}

const tracked = new Set<TrackedChild>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof SIGNALS)[number];
let installed = false;
let stopping = false;

/**
 * Kill `child` when this process exits or is interrupted, unless it was stopped first.
 * Returns the function that forgets it (call it once the child is stopped).
 */
export function trackChild(child: TrackedChild): () => void {
  tracked.add(child);
  install();
  return () => {
    tracked.delete(child);
    if (tracked.size === 0) uninstall();
  };
}

/** For tests and diagnostics: the children still registered. */
export function trackedChildren(): readonly TrackedChild[] {
  return [...tracked];
}

// 'exit' handlers may only do synchronous work, so there is no graceful stop here: SIGKILL, then
// delete the temporary data (it has no value once the daemon is gone). Also runs after an
// uncaught exception, since Node emits 'exit' then too.
function killAllNow(): void {
  for (const child of tracked) {
    try {
      if (!child.hasExited()) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(child.dataDir, { recursive: true, force: true });
  }
  tracked.clear();
}

function onSignal(signal: HandledSignal): void {
  if (stopping) {
    // A second Ctrl-C means "now": stop waiting for graceful shutdown.
    killAllNow();
    reraise(signal);
    return;
  }
  // Another listener (the demo's own graceful shutdown, vitest) owns the decision to exit; our
  // children must outlive its flush, and the 'exit' hook still removes them afterwards.
  if (process.listenerCount(signal) > 1) return;
  stopping = true;
  void Promise.allSettled([...tracked].map((child) => child.stop())).then(() => reraise(signal));
}

// Listening to a signal disables Node's default "terminate"; after cleanup, remove ours and send
// the signal again so the exit status (130 for SIGINT) is what a shell expects.
function reraise(signal: HandledSignal): void {
  killAllNow(); // whatever a failed graceful stop left running
  uninstall();
  process.kill(process.pid, signal);
}

const signalHandlers = new Map<HandledSignal, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  stopping = false;
  process.removeListener('exit', killAllNow);
  for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
}
