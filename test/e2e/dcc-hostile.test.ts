/**
 * Hostile DCC files (issue 16): entity declarations, deep nesting and an over-long certificate id
 * are refused like every other bad file, exit 2 with one clear line naming the file, no stack
 * trace, nothing imported.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/e2e-fixture.js';

const hostile = (name: string) => join(ROOT, 'test', 'fixtures', 'dcc', 'hostile', name);
const tmp = mkdtempSync(join(tmpdir(), 'metrogate-dcc-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const REFUSED = 'a DCC needs no entities, and they can read local files or expand to gigabytes (refused)';

async function importOne(file: string): Promise<{ code: number | null; stderr: string; records: string }> {
  const records = join(tmp, `records-${Math.random().toString(16).slice(2)}`);
  mkdirSync(records);
  const res = await runCli(['dcc', 'import', file, '--instrument', 'bath-01', '--unit', '°C', '--records-dir', records, '--due', '2030-01-01']);
  return { code: res.code, stderr: res.stderr, records };
}

describe('hostile DCC files', { timeout: 60_000 }, () => {
  const cases: [string, string][] = [
    ['external-entity.xml', `the DOCTYPE declares an external entity (secret, line 3): ${REFUSED}`],
    ['parameter-entity.xml', `the DOCTYPE declares a parameter entity (remote, line 3): ${REFUSED}`],
    ['entity-expansion.xml', `the DOCTYPE declares an entity (l0, line 4): ${REFUSED}`],
    ['deep-nesting.xml', 'elements nested more than 100 deep: not a DCC (refused)'],
  ];
  for (const [name, reason] of cases) {
    it(`${name}: exit 2, one line, nothing imported`, async () => {
      const res = await importOne(hostile(name));
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(`${hostile(name)}: ${reason}`);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(res.records, 'bath-01'))).toBe(false);
    });
  }

  it('an over-long certificate id: exit 2 naming the element and the limit', async () => {
    const pt100 = readFileSync(join(ROOT, 'test', 'fixtures', 'dcc', 'pt100-adjustment.xml'), 'utf8');
    const id = `MT/${'x'.repeat(160)}`;
    const file = join(tmp, 'long-id.xml');
    writeFileSync(file, pt100.replace('MT-2026-0318/A', id));
    const res = await importOne(file);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/long-id\.xml: \S*uniqueIdentifier: certificate id too long: 163 characters, 165 as a file name \(at most 150;/);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(res.records, 'bath-01'))).toBe(false);
  });
});
