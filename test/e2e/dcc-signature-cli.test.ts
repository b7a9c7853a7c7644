/**
 * The signature workflow as a quality manager runs it: verify a signed DCC, import it against the
 * site's trust store, and see a changed or unsigned one refused with nothing written.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/e2e-fixture.js';
import { makePki, signDcc } from '../support/dcc-signer.js';
import { opensslOcspResponse } from '../support/ocsp-responder.js';

const SHARED = join(ROOT, '../shared/fixtures/dcc');
const SIGNED = join(SHARED, 'dcc_gp_temperature_typical_v12_signed.xml');
const MANIPULATED = join(SHARED, 'dcc_gp_temperature_typical_v12_signed_manipulated.xml');
const UNSIGNED = join(ROOT, 'test/fixtures/dcc/pt100-adjustment.xml');

const tmp = mkdtempSync(join(tmpdir(), 'metrogate-dcc-sig-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function site(dir: string, extra: string): string {
  const file = join(dir, 'site.yaml');
  writeFileSync(
    file,
    `site: sig-lab
mqtt:
  url: mqtt://127.0.0.1:1883
calibration:
  recordsDir: records
${extra}
instruments:
  - id: bath-01
    protocol: modbus-tcp
    connection: { host: 127.0.0.1 }
    channels:
      - { id: temperature, address: 0, type: float32, quantity: temperature, unit: K }
`,
  );
  return file;
}

const records = (dir: string): string[] => (existsSync(join(dir, 'records', 'bath-01')) ? readdirSync(join(dir, 'records', 'bath-01')) : []);

describe('metrogate dcc verify / import with calibration.trust', () => {
  it('verify: the signed PTB certificate passes with its signer; its manipulated twin fails, exit 2', async () => {
    const ok = await runCli(['dcc', 'verify', SIGNED, '--trust', join(SHARED, 'trusted_certs')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/signature: verified/);
    expect(ok.stdout).toMatch(/signed by "Calibration Lab A1" .* at 2022-10-21T07:47:21/);
    expect(ok.stdout).toMatch(/expired on 2024-12-02, after the signing time/);
    const bad = await runCli(['dcc', 'verify', SIGNED, MANIPULATED, '--trust', join(SHARED, 'trusted_certs')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/signed_manipulated.xml: signature: refused: the reference to the whole certificate \(URI=""\): digest does not match/);
  });

  it('import with the config trust store: the record carries signer, signing time and the file hash; the manipulated file writes nothing', async () => {
    const dir = mkdtempSync(join(tmp, 'import-'));
    cpSync(join(SHARED, 'trusted_certs'), join(dir, 'trust'), { recursive: true });
    const config = site(dir, '  trust: trust');
    const refused = await runCli(['dcc', 'import', MANIPULATED, '--config', config, '--instrument', 'bath-01']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/signature refused: .*digest does not match/);
    expect(refused.stderr).toMatch(/nothing imported/);
    expect(records(dir)).toEqual([]);

    const ok = await runCli(['dcc', 'import', SIGNED, '--config', config, '--instrument', 'bath-01']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const [file] = records(dir);
    const record = JSON.parse(readFileSync(join(dir, 'records', 'bath-01', file!), 'utf8')) as CalibrationRecord;
    expect(record.signature).toMatchObject({ status: 'verified', signer: 'Calibration Lab A1', signingTime: '2022-10-21T07:47:21.000Z' });
    const { createHash } = await import('node:crypto');
    expect(record.signature!.sha256).toBe(createHash('sha256').update(readFileSync(SIGNED)).digest('hex'));

    const show = await runCli(['dcc', 'show', SIGNED, '--trust', join(dir, 'trust')]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/signature: verified/);
  });

  it('requireSignature refuses an unsigned certificate; a wrong trust store refuses a signed one', async () => {
    const dir = mkdtempSync(join(tmp, 'strict-'));
    const other = await makePki({ prefix: 'Elsewhere' });
    writeFileSync(join(dir, 'root.pem'), other.root.pem);
    const config = site(dir, `  trust: .\n  requireSignature: true`);
    const unsigned = await runCli(['dcc', 'import', UNSIGNED, '--config', config, '--instrument', 'bath-01']);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(/not signed, and calibration.requireSignature is on/);
    const foreign = await runCli(['dcc', 'import', SIGNED, '--config', config, '--instrument', 'bath-01']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/"Calibration Lab A1" does not chain to the trust store/);
    expect(records(dir)).toEqual([]);
  });

  it("a certificate signed by the site's own laboratory key imports; an edited copy does not", async () => {
    const dir = mkdtempSync(join(tmp, 'own-'));
    const pki = await makePki({ prefix: 'Site' });
    writeFileSync(join(dir, 'root.pem'), pki.root.pem);
    writeFileSync(join(dir, 'sub.pem'), pki.sub.pem);
    const signed = await signDcc(readFileSync(UNSIGNED, 'utf8'), pki.signer, { algorithm: 'ecdsa-sha384' });
    writeFileSync(join(dir, 'signed.xml'), signed);
    writeFileSync(join(dir, 'edited.xml'), signed.replace('<valueXMLList>0.09 50.12', '<valueXMLList>0.08 50.12'));
    const trust = ['--trust', dir, '--records-dir', join(dir, 'records'), '--instrument', 'bath-01'];
    const edited = await runCli(['dcc', 'import', join(dir, 'edited.xml'), ...trust]);
    expect(edited.code).toBe(2);
    expect(records(dir)).toEqual([]);
    const ok = await runCli(['dcc', 'import', join(dir, 'signed.xml'), ...trust]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/signed by "Site Lab A1" .* \(verified against the trust store\)/);
  });

  it('an embedded OCSP response revoking the signer before it signed: verify exits 2 naming OCSP, import writes nothing; a good one passes', async () => {
    const dir = mkdtempSync(join(tmp, 'ocsp-'));
    const pki = await makePki({ prefix: 'Ocsp' });
    writeFileSync(join(dir, 'root.pem'), pki.root.pem);
    writeFileSync(join(dir, 'sub.pem'), pki.sub.pem);
    const signingTime = new Date('2025-06-01T00:00:00Z');
    const sign = async (name: string, revokedAt?: Date): Promise<string> => {
      const response = opensslOcspResponse({ ca: pki.sub, responder: pki.sub, cert: pki.signer, revokedAt });
      writeFileSync(join(dir, name), await signDcc(readFileSync(UNSIGNED, 'utf8'), pki.signer, { signingTime, ocspResponses: [response] }));
      return join(dir, name);
    };
    const revoked = await sign('revoked.xml', new Date('2025-05-01T00:00:00Z'));
    const verify = await runCli(['dcc', 'verify', revoked, '--trust', dir]);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(
      /revoked.xml: signature: refused: certificate "Ocsp Lab A1" was revoked on 2025-05-01T00:00:00.000Z, before the signing time .* \(OCSP response of "Ocsp Calibration Sub CA"\)/,
    );
    const trust = ['--trust', dir, '--records-dir', join(dir, 'records'), '--instrument', 'bath-01'];
    const refused = await runCli(['dcc', 'import', revoked, ...trust]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/nothing imported/);
    expect(records(dir)).toEqual([]);
    const good = await runCli(['dcc', 'verify', await sign('good.xml'), '--trust', dir]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/"Ocsp Lab A1": OCSP good at /);
  });
});
