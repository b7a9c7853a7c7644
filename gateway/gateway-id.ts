import { hostname } from 'node:os';
import type { MetrogateConfig } from '../config/schema.js';

/** gateway.id, or the host name made a valid id: what topics, spools and results name this gateway by. */
export function gatewayIdOf(config: Pick<MetrogateConfig, 'gateway'>): string {
  return (
    config.gateway?.id ??
    (hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) ||
      'gateway')
  );
}
