import { describe, expect, it } from 'vitest';
import { PrefixCache } from '../../gateway/prefix-cache.js';

describe('PrefixCache (a reading identity rendered once)', () => {
  it('renders each (channel, quantity, unit) once and tells apart channels that share a name', () => {
    const rendered: string[] = [];
    const cache = new PrefixCache((c, q, u) => (rendered.push(c), `${c}|${q}|${u}`));
    expect(cache.get('t1', 'temperature', '°C')).toBe('t1|temperature|°C');
    expect(cache.get('t1', 'temperature', '°C')).toBe('t1|temperature|°C');
    expect(cache.get('t1', 'temperature', 'K')).toBe('t1|temperature|K');
    expect(cache.get('t1', 'pressure', '°C')).toBe('t1|pressure|°C');
    expect(rendered).toEqual(['t1', 't1', 't1']);
  });

  it('stays bounded and correct past its limit', () => {
    let renders = 0;
    const cache = new PrefixCache((c, q, u) => (renders++, `${c}${q}${u}`), 10);
    for (let i = 0; i < 25; i++) expect(cache.get(`c${i}`, 'q', 'u')).toBe(`c${i}qu`);
    expect(cache.get('c24', 'q', 'u')).toBe('c24qu');
    expect(renders).toBe(25);
  });
});
