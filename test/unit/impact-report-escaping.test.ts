import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CalEvent } from '../../gateway/calibration/cal-event.js';
import { countQuery, writeImpactReport } from '../../gateway/calibration/impact-report.js';
import { influxqlString, markdownText } from '../../gateway/calibration/report-escaping.js';

/**
 * Issue 16: the impact report's InfluxQL escaped only the first quote of a value (the `influx`
 * package's escape.stringLit replaces one occurrence), and event text went into the Markdown raw.
 */
const dir = mkdtempSync(join(tmpdir(), 'metrogate-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostile: CalEvent = {
  site: 'lab',
  instrument: "it's",
  channel: "o'k'\\",
  kind: 'suspect',
  ts: 1_800_000_000_000,
  from: null,
  to: 'out_of_tolerance',
  certificate: 'C-1',
  due: '2027-01-01',
  reason: 'found *bad*\n# Heading [link](http://x) <script>alert(1)</script> `code` | pipe ~~s~~ _u_',
  suspectFrom: 1_700_000_000_000,
  suspectTo: 1_790_000_000_000,
  asFoundError: 0.3,
  mpe: 0.1,
};

describe('impact report escaping', () => {
  it('escapes every single quote and backslash of an InfluxQL string, not only the first', () => {
    expect(influxqlString("a'b'c")).toBe("'a\\'b\\'c'");
    expect(influxqlString('x\\')).toBe("'x\\\\'");
    const q = countQuery(hostile, 'reading');
    expect(q).toBe(
      `SELECT count("seq") AS "n" FROM "reading" WHERE "instrument" = 'it\\'s' AND "channel" = 'o\\'k\\'\\\\' AND time >= 1700000000000ms AND time < 1790000000000ms`,
    );
  });

  it('keeps event text literal in the Markdown: one line, no heading, link, HTML, code or emphasis', () => {
    const text = markdownText(hostile.reason);
    expect(text).not.toMatch(/[\n\r]/);
    expect(text).toBe('found \\*bad\\* # Heading \\[link\\](http://x) &lt;script&gt;alert(1)&lt;/script&gt; \\`code\\` \\| pipe \\~\\~s\\~\\~ \\_u\\_');
  });

  it('writes the report with the escaped text, and says why the readings were not counted when it cannot count them', async () => {
    const report = await writeImpactReport(hostile, 'gw-1', undefined, dir);
    expect(report).toMatchObject({
      gateway: 'gw-1',
      readingsAffected: null,
      notCounted: 'this gateway has no `influx` section to count them in',
      query: countQuery(hostile, 'reading'),
    });
    const md = readFileSync(report.file, 'utf8');
    expect(md).toContain('- Finding: found \\*bad\\* # Heading');
    expect(md).not.toContain('<script>');
    expect(md).toContain('- Suspect period: 2023-11-14T22:13:20.000Z to 2026-09-21T14:13:20.000Z (since the last good calibration)');
    const first = await writeImpactReport({ ...hostile, instrument: 'first', suspectFrom: 0 }, 'gw-1', undefined, dir);
    expect(readFileSync(first.file, 'utf8')).toContain('- Suspect period: every reading before 2026-09-21T14:13:20.000Z (no earlier calibration on record)');
    expect(md.split('\n').filter((l) => l.startsWith('#'))).toEqual([`# Impact report: it's / o'k'\\\\`]);
    expect(JSON.parse(readFileSync(report.file.replace(/\.md$/, '.json'), 'utf8'))).toMatchObject({ reason: hostile.reason, channel: hostile.channel });
  });
});
