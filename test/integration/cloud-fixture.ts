/**
 * Test helpers for the cloud uplink: certificates made with openssl at test time (never
 * committed), a small HTTPS platform receiver, and a Mosquitto with TLS and a password file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import type { WireCalEvent } from '../../gateway/contract/messages.js';
import type { WireBatch } from '../../gateway/sinks/mqtt/payload.js';
import { ROOT } from '../support/e2e-fixture.js';

export interface TestCerts {
  dir: string;
  /** CA that signed the server and client certificates. */
  ca: string;
  /** A CA that signed nothing here: trusting it must fail. */
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, valid one day. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-certs-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=metrogate test ${name}`], dir);
  }
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'metrogate-gateway'],
  ] as const) {
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  }
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    otherCa: p('other-ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'gateway/schemas', name), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
for (const s of ['reading-batch', 'site-roster', 'cloud-batch', 'cal-event']) ajv.addSchema(schema(`${s}.schema.json`));
export const validateCloudBatch = ajv.getSchema('https://metrogate.dev/schemas/cloud-batch.v1.json')!;
export const validateCalEvent = ajv.getSchema('https://metrogate.dev/schemas/cal-event.v1.json')!;
export const validateRoster = ajv.getSchema('https://metrogate.dev/schemas/site-roster.v2.json')!;

export interface Received {
  at: number;
  site: string;
  gateway: string;
  batches: WireBatch[];
}

/** What the receiver answers to a POST of readings; 200 unless the test says otherwise. */
export type Answer = (body: { batches: WireBatch[] }) => number;

/** A calibration event the platform accepted: `after` readings requests had been accepted before it. */
export interface ReceivedEvent {
  at: number;
  after: number;
  event: WireCalEvent;
}

export interface Receiver {
  port: number;
  url: string;
  /** Accepted readings requests, in arrival order. */
  received: Received[];
  /** Every request seen (also refused ones), with its status, arrival time and User-Agent. */
  requests: { method: string; path: string; status: number; batches: number; at: number; userAgent: string }[];
  rosters: unknown[];
  /** Accepted POSTs to /events, in arrival order. */
  events: ReceivedEvent[];
  /** What the receiver answers to an event POST; 200 unless the test says otherwise. */
  answerEvent: (event: WireCalEvent) => number;
  /** Typed messages POSTed below /comparison/ (comparison results), with their path. */
  comparisons: { path: string; doc: unknown }[];
  /** Problems: wrong token, missing gzip, invalid against the schema. */
  problems: string[];
  answer: Answer;
  /** What the receiver answers to a roster PUT; 204 unless the test says otherwise. */
  answerRoster: () => number;
  /** Sent as Retry-After with every 429 or 503, when set. */
  retryAfter: string | undefined;
  close(): Promise<void>;
}

/** What the receiver does with one authorised, decoded request: [status, batches in it]. */
function route(state: Receiver, method: string, path: string, doc: unknown): [number, number] {
  const taken = (status: number) => status >= 200 && status < 300;
  if (method === 'PUT' && path.endsWith('/roster')) {
    if (!validateRoster(doc)) state.problems.push(`roster: ${JSON.stringify(validateRoster.errors)}`);
    const status = state.answerRoster();
    if (taken(status)) state.rosters.push(doc);
    return [status, 0];
  }
  if (method === 'POST' && path.endsWith('/readings')) {
    if (!validateCloudBatch(doc)) state.problems.push(`readings: ${JSON.stringify(validateCloudBatch.errors)}`);
    const body = doc as Received;
    const status = state.answer(body);
    if (taken(status)) state.received.push({ ...body, at: Date.now() });
    return [status, body.batches.length];
  }
  if (method === 'POST' && path.endsWith('/events')) {
    if (!validateCalEvent(doc)) state.problems.push(`event: ${JSON.stringify(validateCalEvent.errors)}`);
    const event = doc as WireCalEvent;
    const status = state.answerEvent(event);
    if (taken(status)) state.events.push({ at: Date.now(), after: state.received.length, event });
    return [status, 0];
  }
  if (method === 'POST' && path.includes('/comparison/')) {
    state.comparisons.push({ path, doc });
    return [201, 0];
  }
  return [404, 0];
}

/**
 * The cloud platform as the gateway sees it: POST /readings, POST /events and PUT /roster over HTTPS with a
 * bearer token and gzip bodies, each body checked against the committed schemas.
 */
export async function startReceiver(certs: TestCerts, token: string, port = 0): Promise<Receiver> {
  const state: Receiver = {
    port,
    url: '',
    received: [],
    requests: [],
    rosters: [],
    events: [],
    answerEvent: () => 200,
    comparisons: [],
    problems: [],
    answer: () => 200,
    answerRoster: () => 204,
    retryAfter: undefined,
    close: () => Promise.resolve(),
  };
  const server: Server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const reply = (status: number, batches = 0) => {
        state.requests.push({ method: req.method ?? '', path, status, batches, at: Date.now(), userAgent: req.headers['user-agent'] ?? '' });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if ((status === 429 || status === 503) && state.retryAfter !== undefined) headers['retry-after'] = state.retryAfter;
        res.writeHead(status, headers).end(status < 300 ? '{"ok":true}' : '{"error":"refused by the test"}');
      };
      if (req.headers.authorization !== `Bearer ${token}`) {
        state.problems.push(`bad authorization header: ${req.headers.authorization ?? '(none)'}`);
        return reply(401);
      }
      if (req.headers['content-encoding'] !== 'gzip') state.problems.push(`${path}: body not gzip`);
      let doc: unknown;
      try {
        doc = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
      } catch (err) {
        state.problems.push(`${path}: ${(err as Error).message}`);
        return reply(400);
      }
      const [status, batches] = route(state, req.method ?? '', path, doc);
      reply(status, batches);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  state.port = typeof address === 'object' && address ? address.port : port;
  state.url = `https://127.0.0.1:${state.port}/platform/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Readings per instrument in arrival order: [instrument → seqs]. */
export function seqsByInstrument(received: readonly Received[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of received) {
    for (const b of r.batches) {
      const list = out.get(b.instrument) ?? [];
      for (const reading of b.readings) list.push(reading.seq);
      out.set(b.instrument, list);
    }
  }
  return out;
}

export interface TlsBroker {
  broker: PrivateService;
  /** mqtts://127.0.0.1:<port>: TLS, username and password required. */
  tlsUrl: string;
  tlsPort: number;
}

/**
 * A second Mosquitto as the cloud broker: a TLS listener with the test CA and a password file
 * (anonymous access off), plus any listeners `more` adds.
 */
export async function startTlsBroker(certs: TestCerts, users: Record<string, string>, more: string[] = []): Promise<TlsBroker> {
  const passwords = join(certs.dir, 'mosquitto.passwd');
  writeFileSync(passwords, '');
  for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', passwords, user, password]);
  const tlsPort = await freePort();
  const broker = await startMosquitto({
    extraConfig: [
      'allow_anonymous false',
      `password_file ${passwords}`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate false',
      ...more,
    ],
  });
  return { broker, tlsUrl: `mqtts://127.0.0.1:${tlsPort}`, tlsPort };
}
