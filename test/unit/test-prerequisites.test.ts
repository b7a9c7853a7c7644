/**
 * `npm ci && npm test` on a fresh Debian machine: the suite's setup must install every system
 * program a test runs. These tests keep the list (TEST_NEEDS) honest against the test sources and
 * check what the setup does on a machine that has none of them, as root and as a user.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_PACKAGE, ensureInstalled, TEST_NEEDS, type RunCommand } from '../../tools/private-services/ensure-installed.js';
import { ROOT } from '../support/e2e-fixture.js';

const debian = () => 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
const PACKAGES = 'mosquitto influxdb socat chromium openssl coreutils';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'bench' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Programs the tests (and the simulators they start) run by name, with the file that runs each. */
function programsRun(): Map<string, string> {
  const found = new Map<string, string>();
  const note = (name: string, file: string) => found.set(name, relative(ROOT, file));
  for (const file of [...sources(join(ROOT, 'test')), ...sources(join(ROOT, 'drivers')), ...sources(join(ROOT, 'tools', 'simulators'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(?:execFileSync|execFile|execSync|spawnSync|spawn)\(\s*'([^']+)'/g)) note(m[1]!.split(' ')[0]!, file);
    for (const m of text.matchAll(/ensureInstalled\(\[([^\]]*)\]/g)) for (const n of m[1]!.matchAll(/'([^']+)'/g)) note(n[1]!, file);
    if (/\bchromium\.launch\(/.test(text)) note('chromium', file);
  }
  return found;
}

describe('what the test suite needs installed', () => {
  it('every program a test runs is in TEST_NEEDS, which `npm test` ensures before vitest starts', () => {
    const run = programsRun();
    // The scan itself must see the programs we know about, or it proves nothing.
    expect([...run.keys()]).toEqual(expect.arrayContaining(['socat', 'chromium', 'mosquitto_passwd', 'openssl']));
    for (const [program, file] of run) expect(TEST_NEEDS, `${file} runs ${program}`).toContain(program);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // The pretest names the programs (a reader sees what `npm test` installs); they are exactly TEST_NEEDS.
    const named = /ensure-installed\.js ((?:[\w-]+ ?)+)$/.exec(pkg.scripts.pretest!)?.[1]?.trim().split(' ');
    expect(named?.sort()).toEqual([...TEST_NEEDS].sort());
  });

  it('as root on a Debian machine with none of them: one apt-get run installs them all', async () => {
    const present = new Set<string>();
    const calls: string[][] = [];
    const run: RunCommand = async (cmd, args) => {
      calls.push([cmd, ...args]);
      if (args[0] === 'install') for (const need of TEST_NEEDS) present.add(need);
    };
    const findBinary = (name: string) => (present.has(name) ? `/usr/bin/${name}` : undefined);
    const found = await ensureInstalled(TEST_NEEDS, { findBinary, run, isRoot: () => true, osRelease: debian });
    expect(calls).toEqual([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', ...PACKAGES.split(' ')],
    ]);
    expect(Object.keys(found).sort()).toEqual([...TEST_NEEDS].sort());
    expect(new Set(TEST_NEEDS.map((n) => DEBIAN_PACKAGE[n]))).toEqual(new Set(PACKAGES.split(' ')));
  });

  it('as a user: fails before any test with the exact command to run', async () => {
    const run: RunCommand = async () => {
      throw new Error('must not run apt');
    };
    await expect(ensureInstalled(TEST_NEEDS, { findBinary: () => undefined, run, isRoot: () => false, osRelease: debian })).rejects.toThrow(
      `sudo apt-get update && sudo apt-get install -y ${PACKAGES}`,
    );
  });

  it('the pretest script finds everything on this machine, and rejects a program it does not know', () => {
    const script = join(ROOT, 'dist/tools/private-services/ensure-installed.js');
    execFileSync(process.execPath, [script, '--tests'], { stdio: 'pipe' });
    expect(() => execFileSync(process.execPath, [script, 'grafana'], { stdio: 'pipe' })).toThrow(/usage: ensure-installed \(--tests \| .*\(unknown: grafana\)/);
  });
});
