/**
 * The 400 policy against InfluxDB's own answer: a refused line costs only itself. (A request-wide
 * fault is not a 400 here: InfluxDB 1.6 answers an unknown retention policy with 500, retried.)
 */
import { describe, expect, inject, it } from 'vitest';
import { InfluxRejected } from '../../gateway/influx/influx-writer.js';
import { postIsolating, type PostLines } from '../../gateway/influx/isolate-refused.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';

const url = inject('influxUrl');
const database = `isolate_${process.pid}_${Date.now()}`;

function poster(): { post: PostLines; requests: () => number } {
  let requests = 0;
  const post: PostLines = async (lines) => {
    requests++;
    const target = new URL('/write', url);
    target.searchParams.set('db', database);
    target.searchParams.set('precision', 'ms');
    const res = await fetch(target, { method: 'POST', body: lines.join('\n') });
    if (res.status !== 204) throw new InfluxRejected(res.status, await res.text());
  };
  return { post, requests: () => requests };
}

describe('postIsolating on a real InfluxDB', () => {
  it('one unparsable line among eight: the seven are stored, its index returned', async () => {
    await fetch(new URL(`/query?q=${encodeURIComponent(`CREATE DATABASE "${database}"`)}`, url), { method: 'POST' });
    const t = Date.now() - 60_000;
    const lines = Array.from({ length: 8 }, (_, i) => (i === 5 ? 'm,tag=x value=' : `m,tag=x value=${i} ${t + i}`));
    const { post } = poster();
    expect(await postIsolating(lines, post)).toEqual([5]);
    const rows = rowsOf(await influxSeries(url, database, 'SELECT count(value) FROM m'));
    expect(rows[0]?.count).toBe(7);
  });
});
