/**
 * An untagged reading cannot reach a sink: the compiler refuses it. Checked by compiling a small
 * file with the project's own compiler options, as a contributor's code would be compiled.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/write-json-schema.js';

const root = packageRoot();
const dir = mkdtempSync(join(tmpdir(), 'metrogate-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles `source` against the project and returns its own diagnostics as [line, code, text]. */
function compile(source: string): [number, number, string][] {
  const file = join(dir, 'probe.ts');
  writeFileSync(file, source);
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([file], { ...options, noEmit: true, rootDir: '/' });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => [d.file!.getLineAndCharacterOfPosition(d.start!).line + 1, d.code, ts.flattenDiagnosticMessageText(d.messageText, ' ')]);
}

describe('tagged and untagged readings', () => {
  it('refuses an untagged reading at a sink and as a Reading, and takes a tagged one', () => {
    const source = [
      `import type { Sink } from '${root}/gateway/sinks/sink.js';`,
      `import { newReading, type Reading } from '${root}/gateway/reading.js';`,
      'declare const sink: Sink;',
      'declare const tagged: Reading;',
      `const untagged = newReading('lab', 'bath', { id: 't', quantity: 'temperature', unit: '°C' }, 0, 1, 'good');`,
      `void sink.write({ site: 'lab', instrument: 'bath', readings: [untagged] });`,
      'const asReading: Reading = untagged;',
      `void sink.write({ site: 'lab', instrument: 'bath', readings: [tagged] });`,
      'export { asReading };',
    ].join('\n');
    const problems = compile(source);
    expect(problems.map(([line, code]) => [line, code])).toEqual([
      [6, 2322],
      [7, 2322],
    ]);
    expect(problems[0]![2]).toMatch(/UntaggedCal.* is not assignable to type 'CalTag'/);
  }, 60_000);
});
