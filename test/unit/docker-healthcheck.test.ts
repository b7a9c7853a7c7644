/**
 * The image's HEALTHCHECK command, run on this machine against the real gateway API (started by
 * the CLI) and against a server that answers an error: what Docker would conclude from it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ApiSchema } from '../../gateway/api/api-config.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startCli } from '../support/cli.js';
import { healthcheckCommand } from '../support/dockerfile.js';
import { runtimeLast } from '../support/repo-dockerfile.js';

describe('Dockerfile HEALTHCHECK', () => {
  const health = runtimeLast('HEALTHCHECK')!;
  const command = healthcheckCommand(health);
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  const probe = (env: Record<string, string>) =>
    new Promise<number | null>((resolvePromise) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
      child.on('exit', (code) => resolvePromise(code));
    });
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("probes GET /healthz on the API's default port", () => {
    const port = (ApiSchema.properties.port as { default: number }).default;
    expect(argv.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(health.args).toMatch(/--interval=\d+s/);
  });

  it('passes while the real API answers /healthz and fails once the gateway is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-health-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `site: health-check\nmqtt:\n  url: ${inject('mqttUrl')}\napi:\n  host: 127.0.0.1\n  port: ${port}\nspool:\n  dir: ${join(dir, 'spool')}\ninstruments: []\n`,
    );
    const gw = startCli(['run', '--config', config]);
    cleanups.push(() => void gw.child.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}/healthz`;
    const deadline = Date.now() + 15_000;
    while (
      !(await fetch(url).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || gw.child.exitCode !== null) throw new Error(`the API never answered ${url}:\n${gw.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await probe({ METROGATE_HEALTHCHECK_URL: url })).toBe(0);
    gw.child.kill('SIGTERM');
    await gw.done;
    expect(await probe({ METROGATE_HEALTHCHECK_URL: url })).not.toBe(0);
  });

  it('fails when the API answers anything but 200', async () => {
    const server = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    expect(await probe({ METROGATE_HEALTHCHECK_URL: `http://127.0.0.1:${port}/healthz` })).toBe(1);
  });
});
