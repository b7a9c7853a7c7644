import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DATA_DIR_PREFIX = 'metrogate-private-';
const OWNER_FILE = 'owner.json';

interface Owner {
  ownerPid: number;
  pid: number;
}

/** A fresh temporary directory for one private daemon; the prefix is what sweepOrphans looks for. */
export function makeDataDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${DATA_DIR_PREFIX}${name}-`));
}

/** Where writeOwner records the owner: a data directory without it is never swept. */
export function ownerFile(dataDir: string): string {
  return join(dataDir, OWNER_FILE);
}

/** Records who started the daemon in `dataDir`, so a later run can clean up after a kill -9. */
export async function writeOwner(dataDir: string, pid: number): Promise<void> {
  const owner: Owner = { ownerPid: process.pid, pid };
  await writeFile(ownerFile(dataDir), JSON.stringify(owner));
}

/**
 * The exit and signal hooks cannot run when the parent is SIGKILLed (OOM killer, a CI timeout),
 * so the next run stops daemons whose owner is gone. A daemon is only killed when its command line
 * names its own data directory: a recycled pid belonging to something else is never touched.
 * Returns the directories removed.
 */
export async function sweepOrphans(): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(tmpdir()).catch(() => []);
  for (const entry of entries) {
    if (!entry.startsWith(DATA_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = await readOwner(dir);
    if (owner === undefined || (await isAlive(owner.ownerPid))) continue;
    if (await isAlive(owner.pid)) {
      const cmdline = await readFile(`/proc/${owner.pid}/cmdline`, 'utf8').catch(() => undefined);
      if (cmdline === undefined) continue; // cannot tell whose pid it is: leave it alone
      if (cmdline.includes(dir)) {
        try {
          process.kill(owner.pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { ownerPid, pid } = parsed as Record<string, unknown>;
    return typeof ownerPid === 'number' && typeof pid === 'number' ? { ownerPid, pid } : undefined;
  } catch {
    return undefined; // not written yet, or not ours
  }
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(pid, 0); some container inits are slow to reap them.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z /s.test(stat);
}
