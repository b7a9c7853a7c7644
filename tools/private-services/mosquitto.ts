import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { retryOnPortClash, startDaemon, type PrivateService } from './daemon.js';
import { findBinary } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { makeDataDir } from './orphan-sweep.js';

export interface MosquittoOptions {
  /** Path to the mosquitto binary; default: looked up in PATH, /usr/sbin, /usr/bin. */
  binary?: string;
  /**
   * Appended to the generated config, e.g. extra listeners, `password_file`, `acl_file` or TLS
   * settings for later tests. Files they name can live in the service's dataDir.
   */
  extraConfig?: string[];
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/**
 * A private Mosquitto on 127.0.0.1 and a free port, anonymous access, no persistence, logging to
 * a file in its own temporary directory. It never touches a system broker on 1883.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<PrivateService> {
  const binary = opts.binary ?? findBinary('mosquitto');
  if (binary === undefined) {
    throw new Error('mosquitto not found in PATH, /usr/sbin or /usr/bin; run ensureInstalled(["mosquitto"]) first');
  }
  return retryOnPortClash(async () => {
    const port = await freePort();
    const dataDir = await makeDataDir('mosquitto');
    const configFile = join(dataDir, 'mosquitto.conf');
    await writeFile(configFile, mosquittoConfig(port, opts.extraConfig ?? []));
    const daemon = await startDaemon({
      name: 'mosquitto',
      binary,
      // Foreground (no -d) so the pid we hold is the broker's own.
      args: ['-c', configFile],
      dataDir,
      port,
      isReady: () => acceptsConnections(port),
      startTimeoutMs: opts.startTimeoutMs ?? 10_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
    });
    return { url: `mqtt://127.0.0.1:${port}`, port, dataDir, ...daemon };
  });
}

export function mosquittoConfig(port: number, extra: readonly string[]): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // See config/deploy/mosquitto.conf: PUBACKs leave at once instead of waiting out Nagle.
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
  ];
  // As root, mosquitto 2 drops to the 'mosquitto' user after loading this file but before reading
  // password, ACL and TLS files, which then cannot be read from our 0700 temp dir. Staying the
  // user who started it is the same rule as for every other child of ours.
  if (process.getuid?.() === 0) lines.push('user root');
  return [...lines, ...extra, ''].join('\n');
}

/** True when something on 127.0.0.1 accepts a TCP connection on the port (a started daemon). */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
