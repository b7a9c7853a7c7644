/**
 * The compose stack (config/deploy/compose.yaml) as the tests of it see it: its services, the
 * host paths its bind mounts bring into each container, and the gateway config it mounts where
 * the image reads it.
 */
import { readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { ROOT } from './e2e-fixture.js';
import { IMAGE_CONFIG } from './repo-dockerfile.js';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean; test?: string[] };
}

export const DEPLOY = join(ROOT, 'config/deploy');
export const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
export const services = compose.services;

export interface Mount {
  service: string;
  /** Absolute host path of a bind mount, or the name of a named volume. */
  source: string;
  bind: boolean;
  target: string;
}

export const mounts: Mount[] = Object.entries(services).flatMap(([service, s]) =>
  (s.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    const bind = source.startsWith('.') || source.startsWith('/');
    return { service, source: bind ? resolve(DEPLOY, source) : source, bind, target };
  }),
);

/** The host path a container path of a service comes from, through its bind mounts. */
export function hostPath(service: string, containerPath: string): string | undefined {
  const m = mounts.find((x) => x.service === service && x.bind && (containerPath === x.target || containerPath.startsWith(x.target + '/')));
  return m && join(m.source, posix.relative(m.target, containerPath));
}

/** The gateway config file compose mounts where the image reads it. */
export const gatewayConfigPath = hostPath('gateway', IMAGE_CONFIG);

/**
 * The gateway config as the container sees it: every ${VAR:-default} takes its default, and the
 * API token compose requires from the shell (${METROGATE_API_TOKEN:?…}) is set.
 */
export const gatewayConfig = (): MetrogateConfig =>
  loadConfig(gatewayConfigPath!, { METROGATE_API_TOKEN: '9b2e61d07fa43c58e1b6d294a07c3f5e8d1a6b2c9e04f7a3d5c8b1e6f2a9d403' });
