/**
 * Plugins own their config: a driver or sink reads its schema, types and constants from its own
 * folder. From config/ it may take only the vocabulary every part shares (common.ts), the
 * problem type its check returns (problem.ts), URL redaction, and — for sinks, which carry the
 * instrument list — the composed InstrumentConfig / MetrogateConfig types. Simulators are tooling
 * that load config files, and are left out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/write-json-schema.js';

const root = packageRoot();
const SHARED = new Set(['common.js', 'problem.js', 'redact-url.js']);
const COMPOSED_TYPES = new Set(['InstrumentConfig', 'MetrogateConfig']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'simulator' ? [] : sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Each `import … from '…/config/<file>'` of a file: the imported names and the config file. */
function configImports(text: string): { names: string[]; file: string }[] {
  const found: { names: string[]; file: string }[] = [];
  for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(?:\.\.\/)+config\/([\w-]+\.js)'/g)) {
    const names = m[1]!
      .split(',')
      .map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!,
      )
      .filter((n) => n !== '');
    found.push({ names, file: m[2]! });
  }
  return found;
}

function violations(dir: string, allowComposed: boolean): string[] {
  const out: string[] = [];
  for (const path of sources(join(root, dir))) {
    for (const imp of configImports(readFileSync(path, 'utf8'))) {
      if (SHARED.has(imp.file)) continue;
      if (allowComposed && imp.file === 'schema.js' && imp.names.every((n) => COMPOSED_TYPES.has(n))) continue;
      out.push(`${relative(root, path)} imports { ${imp.names.join(', ')} } from config/${imp.file}`);
    }
  }
  return out;
}

describe('plugins own their config', () => {
  it('drivers take nothing of their own back through config/', () => {
    expect(violations('drivers', false)).toEqual([]);
  });

  it('sinks take nothing of their own back through config/', () => {
    expect(violations('gateway/sinks', true)).toEqual([]);
  });

  it('finds an import that breaks the rule (the check itself can fail)', () => {
    const text = "import type { ModbusChannelConfig, MetrogateConfig } from '../../config/schema.js';";
    expect(configImports(text)).toEqual([{ names: ['ModbusChannelConfig', 'MetrogateConfig'], file: 'schema.js' }]);
  });
});
