import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Whether process `pid` holds the listening TCP socket on 127.0.0.1:`port`. A "ready" answer on a
 * port proves nothing by itself: if another process took the port first, our daemon failed to bind
 * and we would be talking to a stranger (possibly a system broker). Linux only; where /proc cannot
 * tell, answers true rather than block the start.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => undefined);
  if (table === undefined) return true;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // The address is in host byte order: little-endian on x86 and ARM, big-endian elsewhere.
  const locals = [`0100007F:${hexPort}`, `7F000001:${hexPort}`];
  const LISTEN = '0A';
  const inode = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => locals.includes(cols[1] ?? '') && cols[3] === LISTEN)?.[9];
  if (inode === undefined) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => undefined);
  if (fds === undefined) return true;
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target === `socket:[${inode}]`) return true;
  }
  return false;
}
