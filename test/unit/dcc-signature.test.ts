import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrustStore, TrustStoreError, type TrustStore } from '../../gateway/calibration/dcc/signature/trust-store.js';
import { verifyDccSignature } from '../../gateway/calibration/dcc/signature/verify-dcc-signature.js';
import { parseDcc } from '../../gateway/calibration/dcc/parse-dcc.js';
import { makeCrl, makePki, signDcc, type Pki } from '../support/dcc-signer.js';

const SHARED = join(import.meta.dirname, '../../../shared/fixtures/dcc');
const shared = (name: string): Buffer => readFileSync(join(SHARED, name));
const UNSIGNED = readFileSync(join(import.meta.dirname, '../fixtures/dcc/pt100-adjustment.xml'), 'utf8');

function storeOf(pki: Pki, withSub = true): TrustStore {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-trust-'));
  writeFileSync(join(dir, 'root.pem'), pki.root.pem);
  if (withSub) writeFileSync(join(dir, 'sub.pem'), pki.sub.pem);
  return loadTrustStore(dir);
}

describe('the shared PTB fixtures (signed by "Calibration Lab A1", 2022-10-21)', () => {
  const trust = loadTrustStore(join(SHARED, 'trusted_certs'));

  it('accepts the signed certificate, chained to the root, judged at the signing time', async () => {
    const report = await verifyDccSignature(shared('dcc_gp_temperature_typical_v12_signed.xml'), { trust });
    expect(report.status).toBe('verified');
    expect(report.signers).toHaveLength(1);
    const [s] = report.signers;
    expect(s!.signer).toBe('Calibration Lab A1');
    expect(s!.signingTime).toBe('2022-10-21T07:47:21.000Z');
    expect(s!.chain).toEqual(['Calibration Lab A1', 'Calibration Community Sub CA 01', 'Calibration Community Root CA 01']);
    // The signer certificate ran out on 2024-12-02: after the signing, so it stands, and the report says so.
    expect(s!.notes.join('\n')).toMatch(/"Calibration Lab A1" expired on 2024-12-02, after the signing time 2022-10-21/);
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses the manipulated twin, naming the reference whose digest failed', async () => {
    const report = await verifyDccSignature(shared('dcc_gp_temperature_typical_v12_signed_manipulated.xml'), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/reference to the whole certificate \(URI=""\): digest does not match/);
  });

  it('without a trust store: intact, and says who signed is not checked', async () => {
    const report = await verifyDccSignature(shared('dcc_gp_temperature_typical_v12_signed.xml'));
    expect(report.status).toBe('intact');
    expect(report.signers[0]!.notes.join('\n')).toMatch(/no trust store/);
  });

  it('a signature moved inside the content, carrying unsigned DCC elements, is refused and never read', async () => {
    // The URI="" reference covers the document minus the signature wherever it sits: content put
    // inside the signature is not signed, so the verifier refuses a signature off the root and the
    // importer never reads a ds: subtree.
    const orig = shared('dcc_gp_temperature_typical_v12_signed.xml').toString('utf8');
    const a = orig.indexOf('<ds:Signature');
    const b = orig.indexOf('</ds:Signature>') + '</ds:Signature>'.length;
    const injected =
      '<ds:Object><dcc:statement refType="basic_validityRange"><dcc:data><dcc:quantity refType="basic_validityRangeMin"><si:real><si:value>3</si:value><si:unit>\\kelvin</si:unit></si:real></dcc:quantity>' +
      '<dcc:quantity refType="basic_validityRangeMax"><si:real><si:value>5000</si:value><si:unit>\\kelvin</si:unit></si:real></dcc:quantity></dcc:data></dcc:statement></ds:Object>';
    const sig = orig.slice(a, b).replace('</ds:Signature>', `${injected}</ds:Signature>`);
    const rest = orig.slice(0, a) + orig.slice(b);
    const at = rest.indexOf('<dcc:measurementResults>') + '<dcc:measurementResults>'.length;
    const moved = rest.slice(0, at) + sig + rest.slice(at);
    const report = await verifyDccSignature(moved, { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/not a child of the certificate's root element/);
    // Even as the root's child, what a signature holds is never read as certificate content.
    const asChild = rest.replace(/(<dcc:digitalCalibrationCertificate[^>]*>)/, `$1${sig}`);
    expect((await verifyDccSignature(asChild, { trust })).status).toBe('verified');
    expect(parseDcc(asChild, { unit: '°C' }).range).toEqual(parseDcc(orig, { unit: '°C' }).range);
  });

  it('requireSignature without a trust store is refused: anyone could sign', async () => {
    const report = await verifyDccSignature(shared('dcc_gp_temperature_typical_v12_signed.xml'), { requireSignature: true });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/requireSignature needs a trust store/);
  });

  it('an unsigned certificate is unsigned, and refused when signatures are required', async () => {
    expect((await verifyDccSignature(shared('dcc_gp_temperature_simplified_v12.xml'), { trust })).status).toBe('unsigned');
    const strict = await verifyDccSignature(shared('dcc_gp_temperature_simplified_v12.xml'), { trust, requireSignature: true });
    expect(strict.status).toBe('refused');
    expect(strict.problem).toMatch(/not signed, and calibration.requireSignature is on/);
  });
});

describe('variants signed at test time', () => {
  let pki: Pki;
  let trust: TrustStore;
  beforeAll(async () => {
    pki = await makePki();
    trust = storeOf(pki);
  });

  it('a signature by a laboratory of another trust store is refused: the chain', async () => {
    const other = await makePki({ prefix: 'Other' });
    const signed = await signDcc(UNSIGNED, other.signer, { extraCerts: [other.sub] });
    expect((await verifyDccSignature(signed)).status).toBe('intact');
    const report = await verifyDccSignature(signed, { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/"Other Lab A1" does not chain to the trust store/);
  });

  it('an intermediate carried in KeyInfo completes the chain when the store holds only the root', async () => {
    const signed = await signDcc(UNSIGNED, pki.signer, { extraCerts: [pki.sub] });
    const report = await verifyDccSignature(signed, { trust: storeOf(pki, false) });
    expect(report.status).toBe('verified');
    expect(report.signers[0]!.chain).toEqual(['Test Lab A1', 'Test Calibration Sub CA', 'Test Calibration Root CA']);
  });

  it.each(['ecdsa-sha256', 'ecdsa-sha384', 'ecdsa-sha512'])('ECDSA %s verifies', async (algorithm) => {
    const report = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { algorithm }), { trust });
    expect(report.status).toBe('verified');
    expect(report.signers[0]!.signatureAlgorithm).toMatch(new RegExp(`${algorithm}$`));
  });

  it.each(['rsa-sha256', 'rsa-sha384', 'rsa-sha512'])('RSA %s verifies', async (algorithm) => {
    const rsa = await makePki({ kind: 'rsa', prefix: 'Rsa' });
    const report = await verifyDccSignature(await signDcc(UNSIGNED, rsa.signer, { algorithm }), { trust: storeOf(rsa) });
    expect(report.status).toBe('verified');
  });

  it('a value changed after signing is refused', async () => {
    const signed = await signDcc(UNSIGNED, pki.signer);
    const changed = signed.replace('<valueXMLList>0.09 50.12', '<valueXMLList>0.08 50.12');
    expect(changed).not.toBe(signed);
    const report = await verifyDccSignature(changed, { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/URI="".*digest does not match/);
  });

  it('a changed signing time is refused: the signed properties reference', async () => {
    const signed = await signDcc(UNSIGNED, pki.signer, { signingTime: new Date('2025-03-01T10:00:00Z') });
    const report = await verifyDccSignature(signed.replace('2025-03-01T10:00:00Z', '2025-02-01T10:00:00Z'), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/URI="#xades-.*" \(the XAdES signed properties\): digest does not match/);
  });

  it('a changed SignatureValue is refused', async () => {
    const signed = await signDcc(UNSIGNED, pki.signer);
    const forged = signed.replace(/(<ds:SignatureValue>)(.)/, (_m, tag: string, c: string) => `${tag}${c === 'A' ? 'B' : 'A'}`);
    const report = await verifyDccSignature(forged, { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/SignatureValue does not verify/);
  });

  it('signed properties left out of SignedInfo are refused', async () => {
    const report = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { unsignedProperties: true }), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/signed properties .* are not among the signed references/);
  });

  it('a signer certificate not yet valid at the signing time is refused; one expired since is accepted with a note', async () => {
    const late = await makePki({ prefix: 'Late', signerFrom: new Date('2024-01-01T00:00:00Z'), signerTo: new Date('2025-01-01T00:00:00Z') });
    const early = await verifyDccSignature(await signDcc(UNSIGNED, late.signer, { signingTime: new Date('2023-06-01T00:00:00Z') }), { trust: storeOf(late) });
    expect(early.status).toBe('refused');
    expect(early.problem).toMatch(/"Late Lab A1" was not valid at the signing time 2023-06-01/);
    const inTime = await verifyDccSignature(await signDcc(UNSIGNED, late.signer, { signingTime: new Date('2024-06-01T00:00:00Z') }), { trust: storeOf(late) });
    expect(inTime.status).toBe('verified');
    expect(inTime.signers[0]!.notes.join('\n')).toMatch(/expired on 2025-01-01, after the signing time 2024-06-01/);
  });

  it('embedded CRL: revoked before the signing time is refused, after it stands', async () => {
    const signingTime = new Date('2025-06-01T00:00:00Z');
    const before = await makeCrl(pki.sub, pki.signer, new Date('2025-05-01T00:00:00Z'));
    const refused = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, crls: [before] }), { trust });
    expect(refused.status).toBe('refused');
    expect(refused.problem).toMatch(/"Test Lab A1" was revoked on 2025-05-01.*before the signing time/);
    const after = await makeCrl(pki.sub, pki.signer, new Date('2025-07-01T00:00:00Z'));
    const stands = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, crls: [after] }), { trust });
    expect(stands.status).toBe('verified');
    expect(stands.signers[0]!.notes.join('\n')).toMatch(/revoked on 2025-07-01, after the signing time/);
  });

  it('a CRL signed by the signer itself (not a CA) is refused; one older than the signing time is only a note', async () => {
    const signingTime = new Date('2025-06-01T00:00:00Z');
    const own = await makeCrl(pki.signer, pki.signer, new Date('2025-07-01T00:00:00Z'));
    const refused = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, crls: [own] }), { trust });
    expect(refused.status).toBe('refused');
    expect(refused.problem).toMatch(/signed by "Test Lab A1", which is not a CA/);
    const old = await makeCrl(pki.sub, pki.root, new Date('2025-01-01T00:00:00Z'));
    const stale = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { signingTime, crls: [old] }), { trust });
    expect(stale.status).toBe('verified');
    expect(stale.signers[0]!.notes.join('\n')).toMatch(/predates the signing time 2025-06-01/);
  });

  it('a CRL signed by someone outside the chain is refused', async () => {
    const other = await makePki({ prefix: 'Rogue' });
    const crl = await makeCrl(other.sub, other.signer, new Date('2025-05-01T00:00:00Z'));
    const report = await verifyDccSignature(await signDcc(UNSIGNED, pki.signer, { crls: [crl] }), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/CRL .* that no certificate of the signer's chain signed/);
  });

  it('two signatures made one after the other both hold; a broken one refuses the file, naming it', async () => {
    const second = await makePki({ prefix: 'Second' });
    const both = await signDcc(await signDcc(UNSIGNED, pki.signer), second.signer, { extraCerts: [second.sub] });
    const trustBoth = storeOf(pki);
    writeFileSync(join(trustBoth.dir, 'second-root.pem'), second.root.pem);
    const report = await verifyDccSignature(both, { trust: loadTrustStore(trustBoth.dir) });
    expect(report.status).toBe('verified');
    expect(report.signers.map((s) => s.signer)).toEqual(['Test Lab A1', 'Second Lab A1']);
    // Only the first laboratory trusted: the second signature's chain fails.
    const partly = await verifyDccSignature(both, { trust });
    expect(partly.status).toBe('refused');
    expect(partly.problem).toMatch(/^signature 2 of 2: .*"Second Lab A1" does not chain/);
  });

  it('a DOCTYPE is refused before anything is parsed', async () => {
    const signed = await signDcc(UNSIGNED, pki.signer);
    const report = await verifyDccSignature(signed.replace(/^(<\?xml[^>]*>)?/, '$1<!DOCTYPE x [<!ENTITY e "x">]>'), { trust });
    expect(report.status).toBe('refused');
    expect(report.problem).toMatch(/DOCTYPE/);
  });

  it('a trust store with no root is a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-trust-'));
    writeFileSync(join(dir, 'signer.pem'), pki.signer.pem);
    expect(() => loadTrustStore(dir)).toThrow(TrustStoreError);
    expect(() => loadTrustStore(dir)).toThrow(/no self-signed root certificate/);
  });
});
