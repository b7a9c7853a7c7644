import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OpcuaInstrumentConfig } from '../../config/schema.js';
import type { OpcuaAuthConfig, OpcuaSecurityConfig } from '../../drivers/opcua/config.js';
import { OpcuaDriver, type OpcuaInstrumentStats } from '../../drivers/opcua/opcua-driver.js';
import { channelsFor, profileByName, startOpcuaSimulator, trustSimulator, type OpcuaSimulator } from '../../tools/simulators/opcua/index.js';
import { CollectOutput } from '../support/collect-output.js';

const PASSWORD = 'correct-horse-battery';
const CHAMBER = profileByName('climate-chamber');
let dir: string;
let sim: OpcuaSimulator;
/** A client store that trusts the simulator, shared by the tests that expect to connect. */
let trustingPki: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-opcua-security-'));
  sim = await startOpcuaSimulator({
    pkiDir: join(dir, 'server-pki'),
    static: true,
    instruments: [{ id: 'chamber', profile: 'climate-chamber' }],
    // Like a locked-down lab server: no unsecured endpoint, no anonymous access.
    securityModes: ['Sign', 'SignAndEncrypt'],
    securityPolicies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
    allowAnonymous: false,
    users: [{ username: 'operator', password: PASSWORD }],
  });
  sim.instrument('chamber').set('temperature', 19.875);
  trustingPki = join(dir, 'client-pki');
  trustSimulator(sim, trustingPki);
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function instrument(id: string, security: Partial<OpcuaSecurityConfig>, auth: OpcuaAuthConfig): OpcuaInstrumentConfig {
  return {
    id,
    protocol: 'opcua',
    endpoint: sim.endpoint,
    security: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', pkiDir: trustingPki, ...security },
    auth,
    read: 'poll',
    timestamps: 'source',
    subscription: { publishingIntervalMs: 100, samplingIntervalMs: 50, queueSize: 1, maxItemsPerSubscription: 1000 },
    polling: { intervalMs: 200, maxNodesPerRead: 500 },
    timeoutMs: 3000,
    reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
    channels: channelsFor('chamber', CHAMBER).slice(0, 2),
  };
}

function run(instruments: OpcuaInstrumentConfig[]): { out: CollectOutput; driver: OpcuaDriver; logs: string[] } {
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const out = new CollectOutput();
  const driver = new OpcuaDriver('lab', instruments, log);
  driver.start(out);
  cleanups.push(() => driver.stop());
  return { out, driver, logs };
}

const user = (password = PASSWORD): OpcuaAuthConfig => ({ type: 'username', username: 'operator', password });
const goodTemperature = (out: CollectOutput, id: string) =>
  out.of(id).some((b) => b.readings.some((r) => r.channel === 'temperature' && r.quality === 'good' && r.raw === 19.875));
const lastStatus = (out: CollectOutput, id: string) => out.statuses.filter((s) => s.instrument === id).at(-1);

describe('OPC UA security', () => {
  it('reads over SignAndEncrypt with Basic256Sha256 as a user, with the server certificate trusted', async () => {
    const { out, driver } = run([instrument('secure', {}, user())]);
    await out.until(() => goodTemperature(out, 'secure'), 'a good reading over the secure channel');
    expect(lastStatus(out, 'secure')).toMatchObject({ online: true });
    expect((driver.stats()[0] as OpcuaInstrumentStats).sessions).toBe(1);
  });

  it.each([
    ['Sign', 'Basic256Sha256'],
    ['Sign', 'Aes128_Sha256_RsaOaep'],
    ['SignAndEncrypt', 'Aes128_Sha256_RsaOaep'],
    ['Sign', 'Aes256_Sha256_RsaPss'],
    ['SignAndEncrypt', 'Aes256_Sha256_RsaPss'],
  ] as const)('also connects with %s / %s', async (mode, policy) => {
    const { out } = run([instrument('policy', { mode, policy }, user())]);
    await out.until(() => goodTemperature(out, 'policy'), `a good reading with ${mode} ${policy}`);
  });

  it('a wrong password is refused with a clear message, never printed, and the other instruments go on', async () => {
    const { out, logs } = run([instrument('wrong-pw', {}, user('not-the-password')), instrument('right-pw', {}, user())]);
    await out.until(() => goodTemperature(out, 'right-pw') && lastStatus(out, 'wrong-pw')?.online === false, 'one in, one refused');
    expect(lastStatus(out, 'wrong-pw')!.error).toBe(`${sim.endpoint} refused user "operator" (BadUserAccessDenied): check the instrument's auth settings`);
    const bad = out.of('wrong-pw').flatMap((b) => b.readings);
    expect(bad.every((r) => r.quality === 'bad' && r.reason?.startsWith('disconnected: ') && r.reason.includes('BadUserAccessDenied'))).toBe(true);
    expect(logs.join('')).not.toContain('not-the-password');
  });

  it('an untrusted server certificate is refused with where to put it; once moved there, the driver connects by itself', async () => {
    const pki = join(dir, 'fresh-pki');
    const { out } = run([instrument('untrusted', { pkiDir: pki }, user())]);
    await out.until(() => lastStatus(out, 'untrusted')?.online === false, 'the refusal');
    const error = lastStatus(out, 'untrusted')!.error!;
    const rejected = readdirSync(join(pki, 'rejected'));
    expect(rejected).toHaveLength(1);
    const file = join(pki, 'rejected', rejected[0]!);
    expect(error).toBe(
      `the server certificate of ${sim.endpoint} is not trusted (BadCertificateUntrusted): to trust it, move ${file} to ${join(pki, 'trusted', 'certs')}/ (the gateway retries by itself)`,
    );
    expect(
      out
        .of('untrusted')
        .flatMap((b) => b.readings)
        .some((r) => r.quality === 'good'),
    ).toBe(false);

    // What the message says, done by hand:
    renameSync(file, join(pki, 'trusted', 'certs', basename(file)));
    await out.until(() => goodTemperature(out, 'untrusted'), 'a good reading once trusted');
    expect(lastStatus(out, 'untrusted')).toMatchObject({ online: true });
    // The client's own certificate was created in the configured store on first start.
    expect(existsSync(join(pki, 'own', 'certs', 'client_certificate.pem'))).toBe(true);
  });

  it('authenticates with an X.509 user certificate', async () => {
    const key = join(dir, 'user.key');
    const cert = join(dir, 'user.pem');
    // Also proves the driver left no OPENSSL_CONF="undefined" behind (node-opcua-crypto does).
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=metrogate-test-user'],
      { stdio: 'pipe' },
    );
    const { out } = run([instrument('x509', {}, { type: 'certificate', certificate: cert, privateKey: key })]);
    await out.until(() => goodTemperature(out, 'x509'), 'a good reading as the X.509 user');
  });

  it('a server that does not trust the gateway certificate: a message naming the certificate to trust there', async () => {
    const strict = await startOpcuaSimulator({
      pkiDir: join(dir, 'strict-server-pki'),
      static: true,
      instruments: [{ id: 'chamber', profile: 'climate-chamber' }],
      securityModes: ['Sign', 'SignAndEncrypt'],
      trustClients: false,
    });
    cleanups.push(() => strict.stop());
    const pki = join(dir, 'strict-client-pki');
    trustSimulator(strict, pki);
    const { out } = run([{ ...instrument('not-trusted', { pkiDir: pki }, { type: 'anonymous' }), endpoint: strict.endpoint }]);
    await out.until(() => lastStatus(out, 'not-trusted')?.online === false, 'the refusal');
    expect(lastStatus(out, 'not-trusted')!.error).toMatch(
      new RegExp(
        `^${strict.endpoint} refused the connection \\(Bad\\w+\\): the server may not trust this gateway's certificate ${join(pki, 'own', 'certs', 'client_certificate.pem')}; trust it on the server$`,
      ),
    );
  });

  it('an anonymous client is refused by a server that requires a user', async () => {
    const { out } = run([instrument('anonymous', {}, { type: 'anonymous' })]);
    await out.until(() => lastStatus(out, 'anonymous')?.online === false, 'the refusal');
    expect(lastStatus(out, 'anonymous')!.error).toBe(`${sim.endpoint} does not accept anonymous login on this endpoint: check the instrument's auth settings`);
  });
});
