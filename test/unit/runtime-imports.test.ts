/**
 * The runtime (gateway/, drivers/, config/: what the Docker image and `npm ci --omit=dev` carry)
 * imports no tooling: nothing from tools/ or test/, and no package that is only a dev dependency
 * (node-opcua's server side, the simulators' needs). A type-only import is erased by the build,
 * so it may name a dev dependency (@types/…).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/e2e-fixture.js';

const RUNTIME = ['gateway', 'drivers', 'config'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

interface Import {
  file: string;
  spec: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)) found.push({ file, spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push({ file, spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) found.push({ file, spec: m[1]!, typeOnly: false });
  return found;
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
const builtin = new Set(builtinModules);

describe('the runtime imports no tooling', () => {
  const imports = RUNTIME.flatMap(sources).flatMap(importsOf);

  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(500);
    expect(imports.some((i) => i.spec === 'node-opcua-client')).toBe(true);
  });

  it('no runtime module imports from tools/ or test/', () => {
    const out = imports
      .filter((i) => i.spec.startsWith('.'))
      .flatMap((i) => {
        const target = relative(ROOT, resolve(ROOT, dirname(i.file), i.spec));
        return RUNTIME.some((d) => target.startsWith(d + '/')) ? [] : [`${i.file}: ${i.spec}`];
      });
    expect(out).toEqual([]);
  });

  it('every package the runtime loads is a dependency, not a dev dependency', () => {
    const missing = imports
      .filter((i) => !i.spec.startsWith('.') && !i.spec.startsWith('node:') && !builtin.has(i.spec) && !i.typeOnly)
      .filter((i) => !(packageOf(i.spec) in pkg.dependencies))
      .map((i) => `${i.file}: ${i.spec}${packageOf(i.spec) in pkg.devDependencies ? ' (a dev dependency)' : ''}`);
    expect(missing).toEqual([]);
  });

  it('node-opcua (with its server) is a dev dependency; the runtime has the client', () => {
    expect(pkg.dependencies['node-opcua']).toBeUndefined();
    expect(pkg.devDependencies['node-opcua']).toBeDefined();
    expect(pkg.dependencies['node-opcua-client']).toBeDefined();
  });
});
