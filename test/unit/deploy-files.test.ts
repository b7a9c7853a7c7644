/**
 * Docker cannot run on the development machine, so this checks what can be checked without it:
 * the Dockerfile against the repository (what it copies exists and reaches the build context,
 * it builds and runs with the README's commands, its HEALTHCHECK answers for the real API).
 * The compose stack: compose-stack.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ApiSchema } from '../../gateway/api/api-config.js';
import { launchFlags } from '../../gateway/cli/launch-flags.js';
import { freePort } from '../../gateway/private-services/free-port.js';
import { startCli } from '../support/cli.js';
import {
  all, buildStage, ignore, last, OUT_DIR, pkg, read, readme, runtime, sourceOf, stages, workdir,
} from '../support/deploy-files.js';
import { execForm, healthcheckCommand, isIgnored, parseCopy } from '../support/dockerfile.js';
import { ROOT } from '../support/e2e-fixture.js';

describe('Dockerfile', () => {
  it('has a build stage and a slim Node 20 runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage.name).toBe('build');
    expect(runtime.image).toMatch(/^node:20[.\d]*-(bookworm-slim|slim|alpine)/);
    // better-sqlite3 compiles its addon when no prebuilt binary fits: the build needs a toolchain.
    expect(all(buildStage, 'RUN').map((r) => r.args).join('\n')).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
  });

  it('copies into the build only paths that exist in the repository and reach the build context', () => {
    const copies = all(buildStage, 'COPY').map(parseCopy);
    expect(copies.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const c of copies) {
      if (c.from) problems.push(`line ${c.line}: the build stage copies from another stage`);
      for (const src of c.sources) {
        if (!existsSync(join(ROOT, src))) problems.push(`line ${c.line}: ${src} does not exist`);
        if (isIgnored(ignore, src)) problems.push(`line ${c.line}: ${src} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    // What the TypeScript build compiles (tsconfig include, tests aside) goes into the build.
    const copied = copies.flatMap((c) => c.sources);
    const { include } = JSON.parse(read('tsconfig.json')) as { include: string[] };
    for (const dir of include.filter((d) => d !== 'test')) expect(copied, `tsconfig includes ${dir}`).toContain(dir);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) expect(copied).toContain(f);
  });

  it('copies into the runtime only what the build stage has: its own files, node_modules and the compiled outDir', () => {
    const app = workdir(buildStage);
    const inBuild = all(buildStage, 'COPY').map(parseCopy).flatMap((c) =>
      c.sources.map((s) => ({ container: posix.join(app, c.dest.endsWith('/') || c.dest === './' ? posix.basename(s) : c.dest), repo: s })),
    );
    const problems: string[] = [];
    const copies = all(runtime, 'COPY').map(parseCopy);
    for (const c of copies) {
      if (c.from !== buildStage.name) {
        problems.push(`line ${c.line}: runtime copies from ${c.from ?? 'the build context'}, not from the build stage`);
        continue;
      }
      for (const src of c.sources) {
        const made = [posix.join(app, 'node_modules'), posix.join(app, OUT_DIR)];
        if (made.some((m) => src === m)) continue;
        const owner = inBuild.find((b) => src === b.container || src.startsWith(b.container + '/'));
        if (!owner) {
          problems.push(`line ${c.line}: ${src} is neither copied into nor made by the build stage`);
          continue;
        }
        const repoPath = posix.join(owner.repo, posix.relative(owner.container, src));
        if (!existsSync(join(ROOT, repoPath))) problems.push(`line ${c.line}: ${repoPath} does not exist in the repository`);
        if (isIgnored(ignore, repoPath)) problems.push(`line ${c.line}: ${repoPath} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    expect(copies.flatMap((c) => c.sources)).toEqual(expect.arrayContaining([`${app}/node_modules`, `${app}/${OUT_DIR}`, `${app}/package.json`]));
  });

  it('builds with the README\'s commands: npm ci, npm run build (then drops the dev dependencies)', () => {
    expect(readme).toContain('npm ci && npm run build');
    const commands = all(buildStage, 'RUN').flatMap((r) => r.args.split(/&&|;/).map((c) => c.trim().replace(/\s+/g, ' ')));
    const npm = commands.filter((c) => c.startsWith('npm '));
    expect(npm).toEqual(['npm ci', 'npm run build', 'npm prune --omit=dev']);
    for (const c of npm.filter((x) => x.startsWith('npm run '))) expect(Object.keys(pkg.scripts)).toContain(c.split(' ')[2]);
    expect(all(runtime, 'RUN').map((r) => r.args).join('\n')).not.toMatch(/npm (ci|install)/);
  });

  it('runs the gateway as the README does, as an unprivileged user, with config and data volumes', () => {
    const command = [...execForm(last('ENTRYPOINT')!.args)!, ...execForm(last('CMD')!.args)!];
    // The node flags of the bin's shebang (the heap sizing of a long-running gateway), then the bin.
    const flags = launchFlags(join(ROOT, 'gateway/cli/main.ts'));
    expect(flags).toContain('--max-semi-space-size=8');
    expect(command).toEqual(['node', ...flags, 'dist/gateway/cli/main.js', 'run', '--config', '/etc/metrogate/config.yaml']);
    const [, ...launch] = command;
    const bin = launch[flags.length]!;
    expect(readme).toContain(`node ${launch.slice(0, flags.length + 2).join(' ')} --config`);
    expect(pkg.bin.metrogate).toBe(bin);
    expect(existsSync(join(ROOT, sourceOf(bin)))).toBe(true);
    expect(workdir(runtime)).toBe(workdir(buildStage));

    const user = last('USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    const volumes = execForm(last('VOLUME')!.args)!;
    expect(volumes).toEqual(expect.arrayContaining([posix.dirname(command.at(-1)!), '/var/lib/metrogate']));
  });

  it('keeps host installs, builds, tests and git out of the build context', () => {
    for (const p of ['node_modules', 'node_modules/yaml/package.json', 'dist', 'dist/gateway/cli/main.js', 'test', '.git', 'spool']) {
      expect(isIgnored(ignore, p), p).toBe(true);
    }
    expect(isIgnored(ignore, sourceOf(pkg.bin.metrogate!))).toBe(false);
  });
});

describe('Dockerfile HEALTHCHECK', () => {
  const health = last('HEALTHCHECK')!;
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

  it('probes GET /healthz on the API\'s default port', () => {
    const port = (ApiSchema.properties.port as { default: number }).default;
    expect(argv.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(health.args).toMatch(/--interval=\d+s/);
  });

  it('passes while the real API answers /healthz and fails once the gateway is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-health-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `site: health-check\nmqtt:\n  url: ${inject('mqttUrl')}\napi:\n  host: 127.0.0.1\n  port: ${port}\nspool:\n  dir: ${join(dir, 'spool')}\ninstruments: []\n`);
    const gw = startCli(['run', '--config', config]);
    cleanups.push(() => void gw.child.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}/healthz`;
    const deadline = Date.now() + 15_000;
    while (!(await fetch(url).then((r) => r.ok, () => false))) {
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
