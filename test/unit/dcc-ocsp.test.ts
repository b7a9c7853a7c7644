/**
 * Embedded OCSP responses (XAdES-LT RevocationValues/OCSPValues), made by OpenSSL's responder
 * from a CA database at test time, judged at the signing time like CRLs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrustStore, type TrustStore } from '../../gateway/calibration/dcc/signature/trust-store.js';
import { verifyDccSignature } from '../../gateway/calibration/dcc/signature/verify-dcc-signature.js';
import { makePki, makeResponder, type Party, type Pki, signDcc } from '../support/dcc-signer.js';
import { type OcspRequest, opensslOcspResponse } from '../support/ocsp-responder.js';

const UNSIGNED = readFileSync(join(import.meta.dirname, '../fixtures/dcc/pt100-adjustment.xml'), 'utf8');
const signingTime = new Date('2025-06-01T00:00:00Z');

let pki: Pki;
let trust: TrustStore;
let delegated: Party;

beforeAll(async () => {
  pki = await makePki({ prefix: 'Ocsp' });
  delegated = await makeResponder(pki.sub, 'CN=Ocsp Responder,O=Ocsp Community,C=DE');
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-trust-'));
  writeFileSync(join(dir, 'root.pem'), pki.root.pem);
  writeFileSync(join(dir, 'sub.pem'), pki.sub.pem);
  trust = loadTrustStore(dir);
});

async function verifyWith(req: Partial<OcspRequest>) {
  const response = opensslOcspResponse({ ca: pki.sub, responder: pki.sub, cert: pki.signer, ...req });
  return verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, ocspResponses: [response] }), { trust });
}

describe('embedded OCSP responses', () => {
  it('good, signed by the issuing CA: accepted, the report says when the responder said so', async () => {
    const report = await verifyWith({});
    expect(report.problem).toBeUndefined();
    expect(report.status).toBe('verified');
    expect(report.signers[0]!.notes.join('\n')).toMatch(/"Ocsp Lab A1": OCSP good at \d{4}-\d\d-\d\dT[\d:.]+Z \(responder "Ocsp Calibration Sub CA"\)/);
  });

  it('good, signed by a responder the CA delegated (id-kp-OCSPSigning): accepted, naming the responder', async () => {
    const report = await verifyWith({ responder: delegated });
    expect(report.status).toBe('verified');
    expect(report.signers[0]!.notes.join('\n')).toMatch(/OCSP good at .* \(responder "Ocsp Responder"\)/);
  });

  it('revoked before the signing time: refused, naming OCSP and the revocation time', async () => {
    const report = await verifyWith({ responder: delegated, revokedAt: new Date('2025-05-01T00:00:00Z') });
    expect(report.status).toBe('refused');
    expect(report.problem).toBe(
      'certificate "Ocsp Lab A1" was revoked on 2025-05-01T00:00:00.000Z, before the signing time 2025-06-01T00:00:00.000Z (OCSP response of "Ocsp Responder")',
    );
  });

  it('revoked after the signing time: the signature stands, and the report says so', async () => {
    const report = await verifyWith({ revokedAt: new Date('2025-07-01T00:00:00Z') });
    expect(report.status).toBe('verified');
    expect(report.signers[0]!.notes.join('\n')).toMatch(
      /"Ocsp Lab A1" was revoked on 2025-07-01T00:00:00.000Z, after the signing time 2025-06-01T00:00:00.000Z \(OCSP response of "Ocsp Calibration Sub CA"\): the signature stands/,
    );
  });

  it('status unknown: refused, its revocation status cannot be established', async () => {
    const report = await verifyWith({ unknown: true });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/"Ocsp Lab A1": the OCSP responder "Ocsp Calibration Sub CA" answered unknown/);
  });

  it('signed by an unrelated key: refused, whatever status it claims', async () => {
    const rogue = await makePki({ prefix: 'Rogue' });
    const report = await verifyWith({ responder: rogue.sub });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/OCSP response signed by "Rogue Calibration Sub CA", which "Ocsp Calibration Sub CA" did not authorise/);
  });

  it('signed by a certificate the CA issued without id-kp-OCSPSigning: refused (a lab key cannot vouch for itself)', async () => {
    const report = await verifyWith({ responder: pki.signer });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(
      /signed by "Ocsp Lab A1", which "Ocsp Calibration Sub CA" did not authorise \(no certificate it issued with id-kp-OCSPSigning\)/,
    );
  });

  it("about another CA's certificate: refused, it says nothing about who signed", async () => {
    const other = await makePki({ prefix: 'Other' });
    const response = opensslOcspResponse({ ca: other.sub, responder: other.sub, cert: other.signer });
    const report = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, ocspResponses: [response] }), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/OCSP response about no certificate of the signer's chain/);
  });

  it('a response that is not DER is refused, naming it', async () => {
    const report = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, ocspResponses: [Buffer.from('not an OCSP response')] }), {
      trust,
    });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/RevocationValues holds an OCSP response that cannot be read/);
  });
});
