/**
 * The HTTP layer alone, through Fastify's inject() on fake deps: routes, request schemas, the
 * bearer token, the OpenAPI document and the live page's files. What a real gateway produced
 * (latest values, calibration tags, SSE, metrics against InfluxDB) is checked end to end in
 * test/e2e/api-lab-user.test.ts and api-operations.test.ts.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiConfig } from '../../gateway/api/api-config.js';
import { buildApi } from '../../gateway/api/build-api.js';
import { silentLogger } from '../../gateway/log.js';
import { fakeApiDeps, type FakeApiDeps } from '../support/fake-api-deps.js';

const TOKEN = 'test-token-0123456789abcdef';
const INSTRUMENTS = [
  { id: 'bath-01', name: 'Bath', lab: 'temp-lab', protocol: 'modbus-tcp', channels: [{ id: 'temperature', quantity: 'temperature', unit: '°C' }] },
  { id: 'dmm-01', protocol: 'opcua', channels: [{ id: 'voltage', quantity: 'voltage', unit: 'V' }] },
];
const RECORD = {
  certificate: 'API-2026-001',
  instrument: 'bath-01',
  kind: 'calibration',
  calibrated: '2026-01-10',
  due: '2027-01-10',
  unit: '°C',
  errorTable: [{ reference: 25, indication: 25.012, error: 0.012, U: 0.01, k: 2 }],
  traceability: [{ standard: 'SPRT 5187', certificate: 'NIM-2025-1' }],
};
const CHANGES: [string, unknown][] = [
  ['/api/calibration/records', RECORD],
  ['/api/instruments/bath-01/quarantine', { reason: 'failed intermediate check' }],
  ['/api/instruments/bath-01/release', { reason: 'recheck passed' }],
];
const bearer = { authorization: `Bearer ${TOKEN}` };
const API: ApiConfig = { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN, trendPoints: 5 };

/** A parsed body, indexed freely: each field is checked against what the test expects. */
interface Loose {
  [key: string]: Loose;
}
const json = (res: LightMyRequestResponse): Loose => res.json();

describe('HTTP API routes on fake deps (inject, no socket)', () => {
  let deps: FakeApiDeps;
  let app: FastifyInstance;
  beforeAll(async () => {
    deps = fakeApiDeps(INSTRUMENTS, { site: 'lab-x', gatewayId: 'gw-x' });
    app = buildApi(deps, API, silentLogger());
    await app.ready();
  });
  afterAll(async () => app?.close());
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers });

  it('GET /healthz: the process is up, with its version', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('GET /readyz: 503 naming the phase while starting', async () => {
    deps.setPhase('starting');
    try {
      const res = await app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(json(res)).toMatchObject({
        ready: false,
        phase: 'starting',
        components: [
          { name: 'config', ready: true, detail: 'loaded: site lab-x, 2 instruments' },
          { name: 'drivers', ready: false, detail: 'starting' },
        ],
      });
    } finally {
      deps.setPhase('running');
    }
  });

  it('GET /api/instruments/:id: 404 for an unknown one, 400 for an id that cannot be one', async () => {
    const missing = await app.inject('/api/instruments/nope-99');
    expect(missing.statusCode).toBe(404);
    expect(json(missing).message).toBe('no instrument "nope-99" in this gateway');
    const bad = await app.inject('/api/instruments/no%20such%20id');
    expect(bad.statusCode).toBe(400);
    expect(json(bad).message).toMatch(/^params\/id must match pattern/);
  });

  it('GET /api/calibration: 404 for an unknown instrument, 400 for an unknown query parameter', async () => {
    expect((await app.inject('/api/calibration?instrument=nope-1')).statusCode).toBe(404);
    expect((await app.inject('/api/calibration?colour=red')).statusCode).toBe(400);
  });

  it('state-changing routes answer 401 without the token or with a wrong one, before looking at the body', async () => {
    for (const [path, body] of CHANGES) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: TOKEN },
        { authorization: `Basic ${TOKEN}` },
      ]) {
        const res = await post(path, body, headers);
        expect(res.statusCode, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="metrogate"');
        expect(json(res).message).toBe('missing or wrong token: send Authorization: Bearer <api.token>');
      }
      expect((await post(path, { nonsense: true })).statusCode, path).toBe(401);
    }
    expect(deps.added).toEqual([]);
    expect(deps.statusChanges).toEqual([]);
  });

  it('state-changing routes answer 400 with the schema error for a bad body, once the token is right', async () => {
    const missing = await post('/api/calibration/records', { ...RECORD, due: undefined }, bearer);
    expect(missing.statusCode).toBe(400);
    expect(json(missing).message).toContain("body must have required property 'due'");
    const wrong = await post('/api/calibration/records', { ...RECORD, calibrated: '10.01.2026', errorTable: [{ reference: '25' }] }, bearer);
    expect(wrong.statusCode).toBe(400);
    expect(json(wrong).message).toContain('body/calibrated must match pattern');
    expect(json(wrong).message).toContain('body/errorTable/0/reference must be number');
    const extra = await post('/api/calibration/records', { ...RECORD, calibarted: '2026-01-10' }, bearer);
    expect(extra.statusCode).toBe(400);
    expect(json(extra).message).toContain('must NOT have additional properties');
    const unknown = await post('/api/calibration/records', { ...RECORD, instrument: 'nope-1' }, bearer);
    expect(unknown.statusCode).toBe(400);
    expect(json(unknown).message).toBe('body/instrument: no instrument "nope-1" in this gateway');
    const noReason = await post('/api/instruments/bath-01/quarantine', { status: 'broken' }, bearer);
    expect(noReason.statusCode).toBe(400);
    expect(json(noReason).message).toContain("body must have required property 'reason'");
    expect((await post('/api/instruments/nope-1/release', { reason: 'x' }, bearer)).statusCode).toBe(404);
    expect(deps.added).toEqual([]);
    expect(deps.statusChanges).toEqual([]);
  });

  it('a refused record answers 400 naming the certificate and the reason', async () => {
    const record = { ...RECORD, certificate: 'API-DUP-1' };
    expect((await post('/api/calibration/records', record, bearer)).statusCode).toBe(201);
    const again = await post('/api/calibration/records', record, bearer);
    expect(again.statusCode).toBe(400);
    expect(json(again).message).toBe('calibration record API-DUP-1 for bath-01: certificate API-DUP-1 is already recorded for bath-01');
    expect(deps.added.map((r) => r.certificate)).toEqual(['API-DUP-1']);
  });

  it('with no token configured, state-changing routes refuse everyone (403) and say what to configure', async () => {
    const open = buildApi(fakeApiDeps(INSTRUMENTS), { ...API, token: '' }, silentLogger());
    try {
      for (const [path, body] of CHANGES) {
        const res = await open.inject({ method: 'POST', url: path, payload: body as object, headers: bearer });
        expect(res.statusCode, path).toBe(403);
        expect(json(res).message).toContain('set api.token in the config');
      }
    } finally {
      await open.close();
    }
  });

  it('serves the OpenAPI document with every route, its schemas and the token requirement', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = json(res);
    expect(doc.openapi).toBe('3.0.3');
    const routes = Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(routes.map((r) => r.route).sort()).toEqual([
      'GET /',
      'GET /api/calibration',
      'GET /api/checks',
      'GET /api/checks/{id}/results',
      'GET /api/completeness',
      'GET /api/instruments',
      'GET /api/instruments/{id}',
      'GET /api/intervals',
      'GET /api/readings/stream',
      'GET /healthz',
      'GET /metrics',
      'GET /openapi.json',
      'GET /page-checks.js',
      'GET /page.css',
      'GET /page.js',
      'GET /readyz',
      'POST /api/calibration/dcc',
      'POST /api/calibration/records',
      'POST /api/checks/{id}/results',
      'POST /api/instruments/{id}/quarantine',
      'POST /api/instruments/{id}/release',
    ]);
    for (const { route, op } of routes) {
      const ok = op.responses['200'] ?? op.responses['201'];
      expect(ok, route).toBeDefined();
      expect(JSON.stringify(ok), route).toContain('schema');
      expect(op.security !== undefined, route).toBe(route.startsWith('POST'));
    }
    expect(doc.paths?.['/api/calibration/records']?.post?.requestBody?.content?.['application/json']?.schema?.required).toContain('certificate');
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves the live page and its files, with a policy that allows nothing from elsewhere', async () => {
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<script src="/page.js"');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect((await app.inject('/page.js')).statusCode).toBe(200);
    expect(page.body).toContain('<script src="/page-checks.js"');
    expect((await app.inject('/page-checks.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject('/page.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });
});
