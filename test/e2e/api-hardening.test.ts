/**
 * The API against a browser on a hostile page (issue 16): DNS rebinding is refused by Host and
 * Origin, the page cannot be framed. Real HTTP on a served gateway (no instruments: the checks
 * come before any route).
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { serveGatewayApi, type GatewayApi } from '../../gateway/api/serve-gateway.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { uniqueName } from '../support/e2e-fixture.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** fetch() will not send a Host of our choosing; node:http does, as curl -H 'Host: …' would. */
function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API hardening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-api-hard-'));
  let api: GatewayApi;
  let port: string;
  beforeAll(async () => {
    const config = parseConfig(
      `site: ${uniqueName('site')}\nmqtt:\n  url: ${inject('mqttUrl')}\napi:\n  port: 0\n  allowedHosts: [gw.lab.example]\nspool:\n  dir: ${join(dir, 'spool')}\n`,
      join(dir, 'api.yaml'),
    );
    api = (await serveGatewayApi(buildGateway(config, silentLogger(), { drivers: false, ingest: false }), config, silentLogger()))!;
    port = new URL(api.url).port;
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers only to its own names: api.host, loopback names, api.allowedHosts', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `gw.lab.example:${port}`, `[::1]:${port}`]) {
      expect((await get(api.url, { host })).status, host).toBe(200);
    }
    const evil = await get(new URL('/api/instruments', api.url).href, { host: 'evil.example' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Host "evil.example" is not a name of this API: use gw.lab.example or localhost, or add the name to api.allowedHosts',
    });
    // The rebinding case: the attacker's name resolves to 127.0.0.1, the Host still names it.
    expect((await get(new URL('/metrics', api.url).href, { host: `rebind.attacker.example:${port}` })).status).toBe(403);
  });

  it('refuses a request a page of another origin sends, even with a right Host', async () => {
    const res = await get(new URL('/api/instruments', api.url).href, { host: `127.0.0.1:${port}`, origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).message).toBe(
      'Origin "http://evil.example" is not a name of this API: use gw.lab.example or localhost, or add the name to api.allowedHosts',
    );
    expect((await get(new URL('/api/instruments', api.url).href, { host: `127.0.0.1:${port}`, origin: 'null' })).status).toBe(403);
    expect((await get(new URL('/api/instruments', api.url).href, { host: `127.0.0.1:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('the page may not be framed by another site', async () => {
    const page = await get(api.url, { host: `127.0.0.1:${port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
});
