/**
 * Every path in the config is taken from the config file's folder, never from wherever the
 * process was started: a service manager starts the gateway in `/`, and a relative `pkiDir` or
 * checks folder then became `/pki` and `/check-results` (only the spool and calibration folders
 * were resolved).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SITE = `
site: paths
mqtt: { url: mqtt://127.0.0.1:1883 }
spool: { dir: spool }
calibration: { recordsDir: records, reportsDir: ./reports, trust: trust }
checks: { dir: check-results }
cloud: { url: https://platform.example/api, token: t0ken-t0ken-t0ken, ca: certs/ca.pem, cert: certs/gw.pem, key: certs/gw.key }
instruments:
  - id: chamber-01
    protocol: opcua
    endpoint: opc.tcp://127.0.0.1:4840/UA
    security: { mode: Sign, policy: Basic256Sha256, pkiDir: pki }
    auth: { type: certificate, certificate: certs/user.pem, privateKey: /etc/metrogate/user.key }
    channels:
      - { id: t, nodeId: 'ns=1;s=T', quantity: temperature, unit: °C }
  - id: chamber-02
    protocol: opcua
    endpoint: opc.tcp://127.0.0.1:4841/UA
    channels:
      - { id: t, nodeId: 'ns=1;s=T', quantity: temperature, unit: °C }
`;

describe('relative paths in the config', () => {
  it("are taken from the config file's folder, every one of them; absolute ones stay", () => {
    const file = join(dir, 'site.yaml');
    writeFileSync(file, SITE);
    const config = loadConfig(file, {});
    const at = (p: string) => join(dir, p);
    expect(config.spool?.dir).toBe(at('spool'));
    expect(config.calibration).toMatchObject({ recordsDir: at('records'), reportsDir: at('reports'), trust: at('trust') });
    expect(config.checks?.dir).toBe(at('check-results'));
    expect(config.cloud).toMatchObject({ ca: at('certs/ca.pem'), cert: at('certs/gw.pem'), key: at('certs/gw.key') });
    const [secured, plain] = config.instruments as unknown as { security: { pkiDir: string }; auth: { certificate?: string; privateKey?: string } }[];
    expect(secured!.security.pkiDir).toBe(at('pki'));
    expect(secured!.auth).toMatchObject({ certificate: at('certs/user.pem'), privateKey: '/etc/metrogate/user.key' });
    // The default store (./pki) is the config folder's too.
    expect(plain!.security.pkiDir).toBe(at('pki'));
  });
});
