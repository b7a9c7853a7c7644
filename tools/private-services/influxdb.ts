import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { retryOnPortClash, startDaemon, type PrivateService } from './daemon.js';
import { findBinary } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { makeDataDir } from './orphan-sweep.js';

export interface InfluxDBOptions {
  /** Path to the influxd (1.x) binary; default: looked up in PATH, /usr/sbin, /usr/bin. */
  binary?: string;
  /** influxd's own log level (its log file lives in dataDir). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/**
 * A private InfluxDB 1.x: HTTP on 127.0.0.1 and a free port, the RPC/backup listener (default
 * 127.0.0.1:8088) on another free port, every other listener off, all data in a temporary
 * directory. Ready when GET /ping answers 204.
 */
export async function startInfluxDB(opts: InfluxDBOptions = {}): Promise<PrivateService> {
  const binary = opts.binary ?? findBinary('influxd');
  if (binary === undefined) {
    throw new Error('influxd not found in PATH, /usr/sbin or /usr/bin; run ensureInstalled(["influxd"]) first');
  }
  return retryOnPortClash(async () => {
    const [port, rpcPort] = [await freePort(), await freePort()];
    const dataDir = await makeDataDir('influxdb');
    const configFile = join(dataDir, 'influxdb.conf');
    await writeFile(configFile, influxConfig({ port, rpcPort, dataDir, logLevel: opts.logLevel ?? 'warn' }));
    const daemon = await startDaemon({
      name: 'influxd',
      binary,
      args: ['-config', configFile],
      dataDir,
      port,
      isReady: () => pings(port),
      startTimeoutMs: opts.startTimeoutMs ?? 20_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
    });
    return { url: `http://127.0.0.1:${port}`, port, dataDir, ...daemon };
  });
}

export interface InfluxConfigParams {
  port: number;
  rpcPort: number;
  dataDir: string;
  logLevel: string;
}

/** Checked against `influxd config` of 1.6.7 (Debian 12); unknown keys are ignored by influxd. */
export function influxConfig(p: InfluxConfigParams): string {
  const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid TOML basic string
  return `# Upstream calls it reporting-disabled; Debian's 1.6.7 patch renamed it reporting-enabled.
reporting-disabled = true
reporting-enabled = false
bind-address = ${q(`127.0.0.1:${p.rpcPort}`)}

[meta]
  dir = ${q(join(p.dataDir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${q(join(p.dataDir, 'data'))}
  wal-dir = ${q(join(p.dataDir, 'wal'))}
  query-log-enabled = false

# No _internal database written every 10 s: it costs disk and CPU in a test instance.
[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${p.port}`)}
  log-enabled = false
  unix-socket-enabled = false
  bind-socket = ${q(join(p.dataDir, 'influxdb.sock'))}

[ifql]
  enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = ${q(p.logLevel)}
  suppress-logo = true
`;
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    // agent: false, so no keep-alive socket outlives the check or points at a stopped server.
    const req = request({ host: '127.0.0.1', port, path: '/ping', method: 'GET', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 204);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
