/**
 * The platform side of a comparison as its coordinator runs it: a results file in, a Markdown and
 * a JSON report out, the biased participant named.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComparisonEvaluation } from '../../gateway/checks/comparison.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'metrogate-comparison-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILE = `comparison: PT-2026-T1
artefact: "SPRT 5187 (circulated)"
quantity: temperature
unit: °C
points:
  - nominal: 0.01
    results:
      - { lab: lab-A, value: 0.0102, U: 0.002 }
      - { lab: lab-B, value: 0.0098, U: 0.0025 }
      - { lab: lab-C, value: 0.0101, U: 0.003 }
      - { lab: lab-D, value: 0.0100, U: 0.0015 }
      - { lab: "lab-E | biased", value: 0.0190, U: 0.002 }
  - nominal: 100
    reference: { value: 100.0000, U: 0.004, k: 2 }
    sigmaPt: 0.005
    results:
      - { lab: lab-A, value: 100.0020, U: 0.006 }
      - { lab: lab-B, value: 99.9985, U: 0.008 }
      - { lab: lab-C, value: 100.0030, U: 0.009 }
      - { lab: lab-D, value: 100.0005, U: 0.005 }
      - { lab: "lab-E | biased", value: 100.0400, U: 0.006 }
`;

describe('metrogate comparison evaluate', () => {
  it('writes the report and names the one participant whose En > 1 at each point', async () => {
    const file = join(tmp, 'pt.yaml');
    writeFileSync(file, FILE);
    const res = await runCli(['comparison', 'evaluate', file, '--out', join(tmp, 'out')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/PT-2026-T1: 2 points, 10 results evaluated/);
    expect(res.stdout.match(/not satisfactory: lab-E \| biased/g)).toHaveLength(2);
    const json = JSON.parse(readFileSync(join(tmp, 'out', 'PT-2026-T1.json'), 'utf8')) as ComparisonEvaluation;
    for (const p of json.points) {
      for (const s of p.scores) expect(Math.abs(s.en) > 1, `${s.lab} at ${p.nominal}: En ${s.en}`).toBe(s.lab.startsWith('lab-E'));
    }
    // At 100 °C against the stated reference: lab-E En = 0.04 / √(0.006² + 0.004²) = 5.55.
    expect(json.points[1]!.scores[4]!.en).toBeCloseTo(0.04 / Math.sqrt(0.006 ** 2 + 0.004 ** 2), 6);
    const md = readFileSync(join(tmp, 'out', 'PT-2026-T1.md'), 'utf8');
    expect(md).toMatch(/^# Comparison PT-2026-T1/);
    expect(md).toContain('lab-E \\| biased'); // a lab name cannot break the table
    expect(md).toMatch(/Reference value \(weighted mean\)/);
  });

  it('a broken file is refused with the path of the problem, exit 2', async () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ comparison: 'x', artefact: 'a', quantity: 'q', unit: '', points: [{ nominal: 1, results: [{ lab: 'a', value: 1, U: -1 }] }] }),
    );
    const res = await runCli(['comparison', 'evaluate', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/not a comparison file/);
    expect(res.stderr).toMatch(/\/points\/0\/results/);
  });
});
