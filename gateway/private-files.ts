/**
 * Readings, calibration records and impact reports are not for every local user: what the
 * gateway creates is 0600 (files) and 0700 (folders) whatever the umask, because mode bits given
 * to open() and mkdir() are masked by it and a chmod is not.
 */
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Creates `dir` (and missing parents) 0700; folders that existed keep their mode. */
export function ensurePrivateDir(dir: string, what = 'directory'): void {
  let first: string | undefined;
  try {
    first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (err) {
    throw new Error(`cannot create the ${what} ${dir}: ${dirFailure(err, dir)}`);
  }
  if (!statSync(dir).isDirectory()) throw new Error(`cannot use the ${what} ${dir}: it is a file, not a directory`);
  if (first === undefined) return;
  // Every folder mkdir created, from the deepest up to the first one.
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, PRIVATE_DIR);
    if (d === first || dirname(d) === d) break;
  }
}

/** Creates `file` empty if it is missing and makes it 0600 (also when an older run left it wider). */
export function ensurePrivateFile(file: string): void {
  const fd = openSync(file, 'a', PRIVATE_FILE);
  try {
    fchmodSync(fd, PRIVATE_FILE);
  } finally {
    closeSync(fd);
  }
}

/** chmod 0600 if it exists. */
export function keepPrivate(file: string): void {
  if (existsSync(file)) chmodSync(file, PRIVATE_FILE);
}

/** Makes an open file 0600 (the umask may have widened nothing, but may have been 0). */
export function makePrivate(fd: number): void {
  fchmodSync(fd, PRIVATE_FILE);
}

function dirFailure(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return `${fileInPath(dir)} is a file, not a directory`;
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** The deepest existing part of `dir` that is not a folder. */
function fileInPath(dir: string): string {
  for (let d = dir; dirname(d) !== d; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) return d;
    } catch {
      // missing or not reachable: look further up
    }
  }
  return 'a part of the path';
}
