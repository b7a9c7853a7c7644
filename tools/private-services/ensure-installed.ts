import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, type Logger } from '../../gateway/log.js';

/** Programs the tests and the demo run. */
export type Need = 'mosquitto' | 'mosquitto_passwd' | 'influxd' | 'socat' | 'chromium' | 'openssl' | 'mkfifo';

export const DEBIAN_PACKAGE: Readonly<Record<Need, string>> = {
  mosquitto: 'mosquitto',
  mosquitto_passwd: 'mosquitto',
  influxd: 'influxdb',
  socat: 'socat',
  chromium: 'chromium',
  // Debian's minimal images (the node:20 -slim ones among them) have the library, not the program.
  openssl: 'openssl',
  // Essential on Debian, so always there; listed because a test runs it (the thread-pool stall).
  mkfifo: 'coreutils',
};

/**
 * Every system program some test runs: the private servers (global setup), the broker password
 * files (ACL and cloud tests), test certificates, serial lines (socat), the live-page browser and a FIFO
 * that holds libuv's thread pool (mkfifo).
 * `npm test`'s pretest ensures them all; test/unit/test-prerequisites.test.ts fails when a test
 * starts running a program missing here.
 */
export const TEST_NEEDS: readonly Need[] = ['mosquitto', 'mosquitto_passwd', 'influxd', 'socat', 'chromium', 'openssl', 'mkfifo'];

// Ubuntu's transitional package installs chromium-browser.
const BINARY_NAMES: Readonly<Record<Need, readonly string[]>> = {
  mosquitto: ['mosquitto'],
  mosquitto_passwd: ['mosquitto_passwd'],
  influxd: ['influxd'],
  socat: ['socat'],
  chromium: ['chromium', 'chromium-browser'],
  openssl: ['openssl'],
  mkfifo: ['mkfifo'],
};

// A non-root PATH often lacks the sbin directories, and mosquitto lives in /usr/sbin.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export type RunCommand = (command: string, args: string[], env: Record<string, string>) => Promise<void>;

export interface EnsureInstalledOptions {
  /** Absolute path of an executable `name`, or undefined. Injectable for tests. */
  findBinary?: (name: string) => string | undefined;
  /** Runs apt-get; `env` holds only the variables to add to the current environment. */
  run?: RunCommand;
  isRoot?: () => boolean;
  /** Contents of /etc/os-release, or undefined when there is none. */
  osRelease?: () => string | undefined;
  log?: Logger;
}

/**
 * Finds every needed program; installs the missing ones with one apt-get run when that is possible
 * (root on Debian or Ubuntu), and otherwise throws with the exact command to run.
 * Resolves to the absolute path of each program.
 */
export async function ensureInstalled<N extends Need>(needs: readonly N[], opts: EnsureInstalledOptions = {}): Promise<Record<N, string>> {
  const find = opts.findBinary ?? findBinary;
  const log = opts.log;
  const lookup = (need: N): string | undefined => BINARY_NAMES[need].map(find).find((p) => p !== undefined);

  const missing = [...new Set(needs)].filter((need) => lookup(need) === undefined);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((need) => DEBIAN_PACKAGE[need]))];
    const what = missing.map((need) => `${need} (Debian package ${DEBIAN_PACKAGE[need]})`).join(', ');
    const debianLike = isDebianLike((opts.osRelease ?? readOsRelease)());
    if (!debianLike) {
      throw new Error(
        `Missing ${what}. This is not Debian or Ubuntu, so install them with your system's package manager ` +
          `and make sure they are on PATH (on Debian: apt-get install -y ${packages.join(' ')}).`,
      );
    }
    if (!(opts.isRoot ?? isRoot)()) {
      throw new Error(`Missing ${what}. Install them as root with:\n` + `  sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`);
    }
    const run = opts.run ?? runInherited;
    log?.info({ missing, packages }, 'installing missing packages with apt-get');
    await run('apt-get', ['update'], {});
    await run('apt-get', ['install', '-y', ...packages], { DEBIAN_FRONTEND: 'noninteractive' });
    const stillMissing = missing.filter((need) => lookup(need) === undefined);
    if (stillMissing.length > 0) {
      throw new Error(`apt-get install -y ${packages.join(' ')} finished, but ${stillMissing.join(', ')} still not found`);
    }
  }

  const found = {} as Record<N, string>;
  for (const need of needs) {
    const path = lookup(need);
    if (path === undefined) throw new Error(`${need} not found`); // unreachable: checked above
    found[need] = path;
  }
  log?.debug({ found }, 'required programs present');
  return found;
}

/** The first executable file called `name` in PATH or the usual system directories. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isDebianLike(osRelease: string | undefined): boolean {
  if (osRelease === undefined) return false;
  const field = (key: string): string[] => (osRelease.match(new RegExp(`^${key}=["']?([^"'\\n]*)`, 'm'))?.[1] ?? '').split(/\s+/);
  return [...field('ID'), ...field('ID_LIKE')].some((id) => id === 'debian' || id === 'ubuntu');
}

function readOsRelease(): string | undefined {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return undefined;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const runInherited: RunCommand = (command, args, env) =>
  new Promise((resolve, reject) => {
    // stdout to our stderr: apt's progress must not mix into a caller's machine-readable stdout.
    const child = spawn(command, args, { stdio: ['ignore', 2, 2], env: { ...process.env, ...env } });
    child.once('error', (err) => reject(new Error(`${command} ${args.join(' ')}: ${err.message}`)));
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${String(code)}`})`)),
    );
  });

function isNeed(arg: string): arg is Need {
  return Object.hasOwn(DEBIAN_PACKAGE, arg);
}

// As a script: node dist/tools/private-services/ensure-installed.js (--tests | mosquitto influxd …)
async function main(argv: string[]): Promise<void> {
  const args = argv.flatMap((a): string[] => (a === '--tests' ? [...TEST_NEEDS] : [a]));
  const unknown = args.filter((a) => !isNeed(a));
  if (args.length === 0 || unknown.length > 0) {
    throw new Error(
      `usage: ensure-installed (--tests | <${Object.keys(DEBIAN_PACKAGE).join('|')}>...)` + (unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''),
    );
  }
  await ensureInstalled(args.filter(isNeed), { log: createLogger('info', { pretty: false }) });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
