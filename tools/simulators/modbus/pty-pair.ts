/**
 * A virtual serial line: two pseudo-terminals joined by socat, one end for the gateway and one for
 * the simulated slaves. `ignoreeof` keeps the line up when either end closes and reopens its port
 * (a gateway reconnecting, a simulator restarted), as a real cable would stay plugged in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled } from '../../private-services/ensure-installed.js';

export interface PtyPair {
  /** Path the gateway opens (a symlink to /dev/pts/N). */
  readonly gateway: string;
  /** Path the simulated slaves open. */
  readonly devices: string;
  close(): Promise<void>;
}

export async function openPtyPair(options: { timeoutMs?: number } = {}): Promise<PtyPair> {
  const { socat } = await ensureInstalled(['socat']);
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-pty-'));
  const gateway = join(dir, 'gateway');
  const devices = join(dir, 'devices');
  const end = (link: string): string => `pty,raw,echo=0,ignoreeof,link=${link}`;
  const child = spawn(socat, ['-d', '-d', end(gateway), end(devices)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  const close = async (): Promise<void> => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (!(existsSync(gateway) && existsSync(devices) && stderr.includes('starting data transfer loop'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`socat did not create a pty pair in ${dir}: ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { gateway, devices, close };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
