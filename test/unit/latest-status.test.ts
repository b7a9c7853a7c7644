import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/log.js';
import { LatestValueWriter } from '../../gateway/sinks/influx/latest-status.js';
import { until } from '../support/until.js';

/** A destination that answers each write when the test says so, and keeps what it stored. */
function destination() {
  const stored: string[] = [];
  const waiting: { value: string; ok: () => void; fail: () => void }[] = [];
  const write = (value: string) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({
        value,
        ok: () => {
          stored.push(value);
          resolve();
        },
        fail: () => reject(new Error('InfluxDB is down')),
      });
    });
  return { stored, waiting, write };
}

/**
 * The direct sink's latest status per instrument: a removed instrument's last value (retire())
 * supersedes what of it waits, is written, and then the key is forgotten.
 */
describe('LatestValueWriter.retire', () => {
  it('supersedes a failing value: only the removal is written, and no slot stays', async () => {
    const d = destination();
    const writer = new LatestValueWriter<string>(d.write, silentLogger(), 'status');
    writer.start();
    writer.offer('balance-01', 'renewed');
    d.waiting.shift()!.fail();
    // Failed: the slot waits for its retry (1 s backoff).
    await until(() => writer.waiting() === 1 && d.waiting.length === 0, 'the failed write to wait for its retry');
    writer.retire('balance-01', 'removed');
    expect(d.waiting.map((w) => w.value)).toEqual(['removed']);
    d.waiting.shift()!.ok();
    await until(() => writer.keys().length === 0, 'the slot forgotten once the removal is written', { observe: () => writer.keys() });
    expect(d.stored).toEqual(['removed']);
    writer.stop();
  });

  it('an instrument added back while its removal is being written keeps its slot and gets its new value written', async () => {
    const d = destination();
    const writer = new LatestValueWriter<string>(d.write, silentLogger(), 'status');
    writer.start();
    writer.retire('balance-01', 'removed');
    writer.offer('balance-01', 'back');
    d.waiting.shift()!.ok();
    await until(() => d.waiting.length === 1, 'the new value written after the removal');
    d.waiting.shift()!.ok();
    await until(() => writer.waiting() === 0, 'nothing left to write');
    expect(d.stored).toEqual(['removed', 'back']);
    expect(writer.keys()).toEqual(['balance-01']);
    writer.stop();
  });
});
