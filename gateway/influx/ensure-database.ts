import { InfluxDB } from 'influx';
import type { InfluxConfig } from '../../config/schema.js';

export function influxClient(cfg: Pick<InfluxConfig, 'url' | 'database' | 'username' | 'password'>): InfluxDB {
  const u = new URL(cfg.url);
  return new InfluxDB({
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database: cfg.database,
    username: cfg.username,
    password: cfg.password,
  });
}

/** CREATE DATABASE is idempotent in InfluxDB 1.x, so this is safe on every start. */
export async function ensureDatabase(cfg: Pick<InfluxConfig, 'url' | 'database' | 'username' | 'password'>): Promise<void> {
  await influxClient(cfg).createDatabase(cfg.database);
}
