import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../gateway/influx/isolate-refused.js';
import { RejectLog } from '../../gateway/ingest/reject-log.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

describe('refused messages are counted by reason and logged rate-limited', () => {
  it('logs the first of a flood at once, then one line per reason every 10 s saying how many went unlogged', () => {
    let now = 0;
    const { log, lines } = capturingLogger();
    const rejections = new RejectLog(log, () => now);
    for (let i = 0; i < 10_000; i++) rejections.note('mg/labA/gwA/x/data', { reason: 'schema', detail: '/readings/0/cal/traceable must be boolean' });
    rejections.note('mg/labA/gwA/stats', { reason: 'timestamp', detail: 'ts 0' });
    now = 10_000;
    rejections.note('mg/labA/gwA/x/data', { reason: 'schema', detail: 'again' });
    expect(rejections.byReason).toMatchObject({ schema: 10_001, timestamp: 1, not_json: 0 });
    expect(lines.map((l) => [l.reason, l.topic, l.alsoRefusedUnlogged])).toEqual([
      ['schema', 'mg/labA/gwA/x/data', undefined],
      ['timestamp', 'mg/labA/gwA/stats', undefined],
      ['schema', 'mg/labA/gwA/x/data', 9_999],
    ]);
    expect(lines[0]).toMatchObject({ msg: 'ingest refused a message', detail: '/readings/0/cal/traceable must be boolean' });
  });
});

describe('splitLines: a request body split as InfluxDB 1.x splits it', () => {
  it('keeps a newline inside a quoted string field, and splits at every other', () => {
    const text = [
      'reading,site=a,unit=m\\ s value=1,reason="two\nlines" 1',
      'reading,site=a,quantity=say\\ "hi" value=2,reason="a \\"quoted\\" \\\\" 2',
      'cal_event,site=a text="x" 3',
    ].join('\n');
    expect(splitLines(text)).toEqual([
      'reading,site=a,unit=m\\ s value=1,reason="two\nlines" 1',
      'reading,site=a,quantity=say\\ "hi" value=2,reason="a \\"quoted\\" \\\\" 2',
      'cal_event,site=a text="x" 3',
    ]);
  });
});
