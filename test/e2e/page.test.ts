import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway, type Gateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { ensureInstalled } from '../../tools/private-services/ensure-installed.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { demoLab, localDate, ROOT } from '../support/e2e-fixture.js';

const TOKEN = 'page-test-token-0123456789';
const SCREENSHOT = join(ROOT, 'test/artifacts/page.png');

/** What each demo instrument must show: its lab heading, badge text and colour (page.css), certificate and due date. */
const EXPECTED = [
  {
    id: 'bath-01',
    lab: 'temperature lab',
    badge: 'Valid',
    colour: 'rgb(26, 127, 55)',
    certificate: 'certificate E2E-VALID',
    due: `due ${localDate(200)} (in 200 d)`,
  },
  {
    id: 'pressure-01',
    lab: 'pressure lab',
    badge: 'Due soon',
    colour: 'rgb(245, 197, 24)',
    certificate: 'certificate E2E-SOON',
    due: `due ${localDate(10)} (in 10 d)`,
  },
  {
    id: 'balance-01',
    lab: 'mass lab',
    badge: 'Expired',
    colour: 'rgb(198, 40, 40)',
    certificate: 'certificate E2E-EXPIRED',
    due: `due ${localDate(-5)} (5 d overdue)`,
  },
  // A certificate of the voltage channel alone: the instrument is valid, its range and serial channels uncalibrated.
  {
    id: 'dmm-01',
    lab: 'electrical lab',
    badge: 'Valid',
    colour: 'rgb(26, 127, 55)',
    certificate: 'certificate E2E-DMM-V',
    due: `due ${localDate(335)} (in 335 d)`,
  },
];

/** The primary (first) channel's value as the page must print it: the shortest text of the number served. */
const SERVED: Record<string, [string, number, string]> = {
  'bath-01': ['temperature', 23.4567, '23.4567'],
  'pressure-01': ['pressure', 201.234, '201.234'],
  'balance-01': ['mass', 99.9987, '99.9987'],
  'dmm-01': ['voltage', 10.0000123, '10.0000123'],
};

/** The colour the browser paints (runs in the page; the tests' tsconfig has no DOM types). */
type Styles = { getComputedStyle(el: unknown): { backgroundColor: string } };
function backgroundOf(element: Locator): Promise<string> {
  return element.evaluate((el) => (globalThis as unknown as Styles).getComputedStyle(el).backgroundColor);
}

describe('the live page in a real browser (Debian chromium)', () => {
  let config: MetrogateConfig;
  let sim: Simulator;
  let gateway: Gateway;
  let api: GatewayApi;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-page-'));

  beforeAll(async () => {
    ({ config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl')));
    for (const [id, [channel, value]] of Object.entries(SERVED)) sim.device(id).set(channel, value);
    config = {
      ...config,
      api: { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN, trendPoints: 60 },
      calibration: { recordsDir: join(dir, 'records'), reportsDir: join(dir, 'reports') },
      spool: { ...DEFAULT_SPOOL, dir: join(dir, 'spool') },
      // An operator checks the bath against a 23.4567 °C check standard; σ set by hand, so the chart judges from the first result.
      checks: {
        dir: join(dir, 'checks'),
        series: [
          {
            id: 'bath-std',
            instrument: 'bath-01',
            channel: 'temperature',
            standard: { value: 23.4567, U: 0.01, rule: 'mpe', mpe: 0.1 },
            chart: { baseline: 20, centre: 0, sigma: 0.01 },
            cusum: { k: 0.5, h: 5 },
            quarantineOn: ['fail'],
          },
        ],
      },
      instruments: config.instruments.map((i) =>
        i.id === 'dmm-01' ? { ...i, calibration: { certificate: 'E2E-DMM-V', channel: 'voltage', calibrated: localDate(-30), due: localDate(335) } } : i,
      ),
    };
    gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    await gateway.start();
    api.running();
    browser = await chromium.launch({
      executablePath: (await ensureInstalled(['chromium'])).chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const failures: string[] = [];
    page.on('pageerror', (err) => failures.push(err.message));
    page.on('requestfailed', (req) => failures.push(`${req.url()}: ${req.failure()?.errorText}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') failures.push(msg.text());
    });
    await page.goto(api.url);
    await page.locator('article[data-instrument]').first().waitFor();
    expect(failures).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await api?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every instrument under its lab with the right calibration badge (colour and text), certificate and due date', async () => {
    expect(await page.locator('article[data-instrument]').count()).toBe(EXPECTED.length);
    for (const e of EXPECTED) {
      const card = page.locator(`article[data-instrument="${e.id}"]`);
      const section = page.locator('section', { has: card });
      expect(await section.locator('h2').textContent(), e.id).toBe(e.lab);
      const badge = card.locator('.cal .badge');
      expect(await badge.textContent(), e.id).toBe(e.badge);
      expect(await backgroundOf(badge), e.id).toBe(e.colour);
      const cal = (await card.locator('.cal').innerText()).replace(/\s+/g, ' ');
      expect(cal, e.id).toContain(e.certificate);
      expect(cal, e.id).toContain(e.due);
      expect(cal, e.id).toContain(e.badge === 'Valid' || e.badge === 'Due soon' ? 'traceable' : 'not traceable');
      const name = config.instruments.find((i) => i.id === e.id)!.name!;
      expect(await card.locator('h3').textContent()).toBe(name);
      expect(await card.locator('.online').textContent()).toBe('online');
    }
    expect(await page.locator('#summary').textContent()).toBe('4 instruments: 2 valid, 1 due soon, 1 expired');
  });

  it("shows each channel's own calibration beside the instrument's, also as readings stream in", async () => {
    const column = (id: string) => page.locator(`article[data-instrument="${id}"] tbody td.channel-cal`).allTextContents();
    expect(await column('bath-01')).toEqual(['Valid', 'Valid', 'Valid', 'Valid']);
    expect(await column('dmm-01')).toEqual(['Valid', 'Uncalibrated', 'Uncalibrated']);
    expect(await page.locator('article[data-instrument="dmm-01"] tbody td.channel-cal').first().getAttribute('title')).toBe(
      `certificate E2E-DMM-V, due ${localDate(335)} (in 335 d)`,
    );
    // After readings of every channel arrived, the badge is still the summary, not the last channel's status.
    const polled = gateway.pipeline.counters.get('dmm-01')!.polled;
    await expect.poll(() => gateway.pipeline.counters.get('dmm-01')!.polled, { timeout: 10_000 }).toBeGreaterThan(polled + 3);
    expect(await page.locator('article[data-instrument="dmm-01"] .cal .badge').textContent()).toBe('Valid');
    expect(await column('dmm-01')).toEqual(['Valid', 'Uncalibrated', 'Uncalibrated']);
  });

  it('shows each instrument’s latest value with its unit and quality, every channel, and a trend', async () => {
    for (const [id, [, , text]] of Object.entries(SERVED)) {
      const card = page.locator(`article[data-instrument="${id}"]`);
      await expect.poll(() => card.locator('.primary .number').textContent(), { timeout: 10_000 }).toBe(text);
      const inst = config.instruments.find((i) => i.id === id)!;
      expect(await card.locator('.primary .unit').textContent()).toBe(inst.channels[0]!.unit);
      expect(await card.locator('.primary .detail').textContent()).toContain('good');
      expect(await card.locator('table.channels tbody tr').count()).toBe(inst.channels.length);
      // The trend fills as readings arrive.
      await expect.poll(() => card.locator('svg.trend polyline').count(), { timeout: 10_000 }).toBe(1);
      expect(await card.locator('svg.trend').getAttribute('aria-label')).toMatch(/^Trend of \w+: last \d+ values, from /);
    }
    expect(await page.locator('article[data-instrument="dmm-01"] tbody tr', { hasText: 'serial' }).locator('td').first().textContent()).toBe(
      sim.device('dmm-01').value('serial'),
    );
  });

  it('updates a value live from the stream, and the page is saved as a screenshot', async () => {
    const value = page.locator('article[data-instrument="bath-01"] .primary .number');
    const seqBefore = Number(await value.getAttribute('data-seq'));
    sim.device('bath-01').set('temperature', 24.125);
    await expect.poll(() => value.textContent(), { timeout: 10_000 }).toBe('24.125');
    expect(Number(await value.getAttribute('data-seq'))).toBeGreaterThan(seqBefore);
    expect(await page.locator('#connection').textContent()).toMatch(/^Live/);
    // Let the trend show the step before the picture is taken.
    await new Promise((r) => setTimeout(r, 1500));
    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('turns a badge red as soon as the instrument is quarantined through the API, and back on release', async () => {
    const badge = page.locator('article[data-instrument="pressure-01"] .cal .badge');
    const change = async (action: string, body: object) => {
      const res = await fetch(new URL(`/api/instruments/pressure-01/${action}`, api.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };
    await change('quarantine', { reason: 'dropped during transport' });
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('Quarantined');
    expect(await backgroundOf(badge)).toBe('rgb(198, 40, 40)');
    await change('release', { reason: 'recheck passed' });
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('Due soon');
  });

  it("shows an instrument's last intermediate check (verdict, error against the MPE, when) and its chart state, once a result is recorded", async () => {
    const check = page.locator('article[data-instrument="bath-01"] .checks li[data-check="bath-std"]');
    await expect.poll(() => check.locator('.check-verdict').textContent(), { timeout: 10_000 }).toBe('no result yet');
    expect(await page.locator('article[data-instrument="pressure-01"] .checks').count()).toBe(0);
    const record = async (measured: number) => {
      const res = await fetch(new URL('/api/checks/bath-std/results', api.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ measured, by: 'page-test' }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { ts: number };
    };
    // E = +0.005 °C: within the MPE, z = 0.5: in control, the CUSUM still at 0 (k = 0.5).
    const first = await record(23.4617);
    await expect.poll(() => check.locator('.check-score').textContent(), { timeout: 10_000 }).toBe('#1 E 0.005, |E| ≤ MPE 0.1');
    expect(await check.locator('.check-verdict').textContent()).toBe('PASS');
    expect(await check.locator('time').getAttribute('datetime')).toBe(new Date(first.ts).toISOString());
    expect(await check.locator('.check-chart').textContent()).toBe('chart: in control · CUSUM C⁺ 0 · C⁻ 0');
    // E = +0.05 °C: still within the MPE, but 5σ from the centre line: the chart trips WE1, C⁺ = 5 − 0.5.
    await record(23.5067);
    await expect.poll(() => check.locator('.check-score').textContent(), { timeout: 10_000 }).toBe('#2 E 0.05, |E| ≤ MPE 0.1');
    expect(await check.locator('.check-verdict').textContent()).toBe('PASS');
    const chart = check.locator('.check-chart');
    expect(await chart.getAttribute('data-state')).toBe('tripped');
    expect(await chart.textContent()).toMatch(/^chart: rule tripped: (\w+, )*WE1(, \w+)* · CUSUM C⁺ 4\.5 · C⁻ 0$/);
    expect(await backgroundOf(page.locator('article[data-instrument="bath-01"] .cal .badge'))).toBe('rgb(26, 127, 55)');
  });
});
