/**
 * Every ```yaml block in a README is a config a user may copy, so each is loaded by the real
 * loader: a wrong key or value in a README sample fails here. A block preceded by
 * `<!-- config fragment … -->` holds only some sections and is loaded into a minimal config
 * (site, mqtt); `<!-- not a config … -->` marks YAML that is not a metrogate config. `${VAR}`
 * references are set for the load, as a user's environment would set them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../config/load-config.js';
import { packageRoot } from '../../config/write-json-schema.js';

const root = packageRoot();
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
/** What a fragment is loaded into; the fragment's own sections replace these. */
const BASE: Record<string, string> = { site: 'site: readme', mqtt: 'mqtt: { url: mqtt://127.0.0.1:1883 }' };

interface Sample {
  readme: string;
  /** README line of the block's first YAML line: problem lines count from it. */
  line: number;
  kind: 'config' | 'fragment';
  text: string;
}

function readmes(dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIP_DIRS.has(name) ? [] : readmes(path);
    return name === 'README.md' ? [path] : [];
  });
}

function samplesOf(readme: string, markdown: string): Sample[] {
  const lines = markdown.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${readme}:${i + 1}: a yaml block that never ends`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? lines[before]! : '';
    const text = lines.slice(i + 1, end).join('\n');
    const line = i + 2;
    i = end;
    if (/<!--\s*not a config\b/.test(marker)) continue;
    samples.push({ readme, line, kind: /<!--\s*config fragment\b/.test(marker) ? 'fragment' : 'config', text });
  }
  return samples;
}

/** Loads a sample as the loader would load a file holding it; throws its ConfigError. */
function loadSample(sample: Sample): void {
  let text = sample.text;
  if (sample.kind === 'fragment') {
    // The fragment first, so the loader's line numbers are the block's own.
    const own = Object.keys((parse(text) as Record<string, unknown> | null) ?? {});
    text = [
      text,
      ...Object.entries(BASE)
        .filter(([key]) => !own.includes(key))
        .map(([, line]) => line),
    ].join('\n');
  }
  const env = Object.fromEntries([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => [m[1]!, 'readme-sample']));
  parseConfig(text, `${relative(root, sample.readme)} (the yaml block from line ${sample.line}; lines count from it)`, env);
}

const samples = readmes().flatMap((file) => samplesOf(file, readFileSync(file, 'utf8')));

describe('README sample configs', () => {
  it('finds the samples (the driver, sink and main READMEs hold at least four)', () => {
    expect(samples.length).toBeGreaterThanOrEqual(4);
  });

  for (const sample of samples) {
    it(`${relative(root, sample.readme)}:${sample.line} loads (${sample.kind})`, () => {
      expect(() => loadSample(sample)).not.toThrow();
    });
  }

  it('fails on a wrong key in a sample, naming the README and the key', () => {
    const markdown = [
      'Text.',
      '',
      '<!-- config fragment -->',
      '```yaml',
      'instruments:',
      '  - id: bath-01',
      '    protocol: modbus-tcp',
      '    conection: { host: 10.0.0.1 }',
      '    channels: [{ id: t, address: 0, type: float32, quantity: temperature, unit: °C }]',
      '```',
    ].join('\n');
    const [sample] = samplesOf(join(root, 'drivers/x/README.md'), markdown);
    expect(sample).toMatchObject({ line: 5, kind: 'fragment' });
    expect(() => loadSample(sample!)).toThrow(ConfigError);
    expect(() => loadSample(sample!)).toThrow(/drivers\/x\/README\.md \(the yaml block from line 5.*\): instruments\[0\]: unknown property "conection"/);
  });

  it('skips a block marked as not a config, and loads an unmarked one whole', () => {
    const markdown = ['<!-- not a config: a compose file -->', '```yaml', 'services: {}', '```', '', '```yaml', 'site: s', '```'].join('\n');
    const found = samplesOf('README.md', markdown);
    expect(found).toEqual([{ readme: 'README.md', line: 7, kind: 'config', text: 'site: s' }]);
    expect(() => loadSample(found[0]!)).toThrow(/nowhere to send readings/);
  });
});
