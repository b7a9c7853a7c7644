/**
 * Docker cannot run on the development machine, so this checks what can be checked without it:
 * the image the Dockerfile builds, against the repository (what it copies exists and reaches the
 * build context, it builds and runs with the README's commands, it carries no tooling).
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchFlags } from '../../gateway/cli/launch-flags.js';
import { execForm, isIgnored, parseCopy } from '../support/dockerfile.js';
import { ROOT } from '../support/e2e-fixture.js';
import { allOf, buildStage, dockerignore, OUT_DIR, readRepoFile, runtime, runtimeLast, sourceOf, stages, workdirOf } from '../support/repo-dockerfile.js';

const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
const readme = readRepoFile('README.md');

describe('Dockerfile', () => {
  it('has a build stage and a slim Node 20 runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage.name).toBe('build');
    expect(runtime.image).toMatch(/^node:20[.\d]*-(bookworm-slim|slim|alpine)/);
    // better-sqlite3 compiles its addon when no prebuilt binary fits: the build needs a toolchain.
    expect(
      allOf(buildStage, 'RUN')
        .map((r) => r.args)
        .join('\n'),
    ).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
  });

  it('copies into the build only paths that exist in the repository and reach the build context', () => {
    const copies = allOf(buildStage, 'COPY').map(parseCopy);
    expect(copies.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const c of copies) {
      if (c.from) problems.push(`line ${c.line}: the build stage copies from another stage`);
      for (const src of c.sources) {
        if (!existsSync(join(ROOT, src))) problems.push(`line ${c.line}: ${src} does not exist`);
        if (isIgnored(dockerignore, src)) problems.push(`line ${c.line}: ${src} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    // What the TypeScript build compiles (tsconfig include, tests aside) goes into the build.
    const copied = copies.flatMap((c) => c.sources);
    const { include } = JSON.parse(readRepoFile('tsconfig.json')) as { include: string[] };
    for (const dir of include.filter((d) => d !== 'test')) expect(copied, `tsconfig includes ${dir}`).toContain(dir);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) expect(copied).toContain(f);
  });

  it('copies into the runtime only what the build stage has: its own files, node_modules and the compiled outDir', () => {
    const app = workdirOf(buildStage);
    const inBuild = allOf(buildStage, 'COPY')
      .map(parseCopy)
      .flatMap((c) => c.sources.map((s) => ({ container: posix.join(app, c.dest.endsWith('/') || c.dest === './' ? posix.basename(s) : c.dest), repo: s })));
    const problems: string[] = [];
    const copies = allOf(runtime, 'COPY').map(parseCopy);
    for (const c of copies) {
      if (c.from !== buildStage.name) {
        problems.push(`line ${c.line}: runtime copies from ${c.from ?? 'the build context'}, not from the build stage`);
        continue;
      }
      for (const src of c.sources) {
        const made = [posix.join(app, 'node_modules'), posix.join(app, OUT_DIR)];
        if (made.some((m) => src === m || src.startsWith(m + '/'))) continue;
        const owner = inBuild.find((b) => src === b.container || src.startsWith(b.container + '/'));
        if (!owner) {
          problems.push(`line ${c.line}: ${src} is neither copied into nor made by the build stage`);
          continue;
        }
        const repoPath = posix.join(owner.repo, posix.relative(owner.container, src));
        if (!existsSync(join(ROOT, repoPath))) problems.push(`line ${c.line}: ${repoPath} does not exist in the repository`);
        if (isIgnored(dockerignore, repoPath)) problems.push(`line ${c.line}: ${repoPath} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    expect(copies.flatMap((c) => c.sources)).toEqual(expect.arrayContaining([`${app}/node_modules`, `${app}/package.json`]));
  });

  it('copies into the runtime the compiled gateway, drivers and config, and no tooling (tools/, test/)', () => {
    const app = workdirOf(buildStage);
    const compiled = allOf(runtime, 'COPY')
      .map(parseCopy)
      .flatMap((c) => c.sources)
      .filter((s) => s.startsWith(`${app}/${OUT_DIR}`))
      .map((s) => posix.relative(`${app}/${OUT_DIR}`, s));
    const { include } = JSON.parse(readRepoFile('tsconfig.json')) as { include: string[] };
    expect(include).toEqual(expect.arrayContaining(['tools', 'test']));
    expect(compiled.sort()).toEqual(include.filter((d) => !['tools', 'test'].includes(d)).sort());
  });

  it('has a simulator stage for the compose stack, apart from the runtime image', () => {
    const sim = stages.find((s) => s.name === 'simulator');
    expect(sim).toBeDefined();
    expect(sim).not.toBe(runtime);
    const entry = execForm(allOf(sim!, 'ENTRYPOINT').at(-1)!.args)!;
    expect(existsSync(join(ROOT, sourceOf(entry[1]!)))).toBe(true);
    expect(allOf(sim!, 'USER').at(-1)?.args).toBe('node');
  });

  it("builds with the README's commands: npm ci, npm run build (then drops the dev dependencies)", () => {
    expect(readme).toContain('npm ci && npm run build');
    const commands = allOf(buildStage, 'RUN').flatMap((r) => r.args.split(/&&|;/).map((c) => c.trim().replace(/\s+/g, ' ')));
    const npm = commands.filter((c) => c.startsWith('npm '));
    expect(npm).toEqual(['npm ci', 'npm run build', 'npm prune --omit=dev']);
    for (const c of npm.filter((x) => x.startsWith('npm run '))) expect(Object.keys(pkg.scripts)).toContain(c.split(' ')[2]);
    expect(
      allOf(runtime, 'RUN')
        .map((r) => r.args)
        .join('\n'),
    ).not.toMatch(/npm (ci|install)/);
  });

  it('runs the gateway as the README does, as an unprivileged user, with config and data volumes', () => {
    const command = [...execForm(runtimeLast('ENTRYPOINT')!.args)!, ...execForm(runtimeLast('CMD')!.args)!];
    // The node flags of the bin's shebang (the heap sizing of a long-running gateway), then the bin.
    const flags = launchFlags(join(ROOT, 'gateway/cli/main.ts'));
    expect(flags).toContain('--max-semi-space-size=8');
    expect(command).toEqual(['node', ...flags, 'dist/gateway/cli/main.js', 'run', '--config', '/etc/metrogate/config.yaml']);
    const [, ...launch] = command;
    const bin = launch[flags.length]!;
    expect(readme).toContain(`node ${launch.slice(0, flags.length + 2).join(' ')} --config`);
    expect(pkg.bin.metrogate).toBe(bin);
    expect(existsSync(join(ROOT, sourceOf(bin)))).toBe(true);
    expect(workdirOf(runtime)).toBe(workdirOf(buildStage));

    const user = runtimeLast('USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    const volumes = execForm(runtimeLast('VOLUME')!.args)!;
    expect(volumes).toEqual(expect.arrayContaining([posix.dirname(command.at(-1)!), '/var/lib/metrogate']));
  });

  it('keeps host installs, builds, tests and git out of the build context', () => {
    for (const p of ['node_modules', 'node_modules/yaml/package.json', 'dist', 'dist/gateway/cli/main.js', 'test', '.git', 'spool']) {
      expect(isIgnored(dockerignore, p), p).toBe(true);
    }
    expect(isIgnored(dockerignore, sourceOf(pkg.bin.metrogate!))).toBe(false);
  });
});
