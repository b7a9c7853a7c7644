/**
 * The certificates a site trusts to sign calibration certificates (`calibration.trust`): a folder
 * of PEM or DER files, each holding one or more certificates. Self-signed ones are trust anchors;
 * the rest are intermediates a chain may pass through.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface TrustStore {
  readonly dir: string;
  readonly roots: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
}

export class TrustStoreError extends Error {
  override readonly name = 'TrustStoreError';
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CERT_FILE = /\.(pem|crt|cer|der)$/i;

function certificatesIn(file: string): X509Certificate[] {
  const bytes = readFileSync(file);
  const pems = bytes.toString('latin1').match(PEM_BLOCK);
  try {
    return pems ? pems.map((p) => new X509Certificate(p)) : [new X509Certificate(bytes)];
  } catch (err) {
    throw new TrustStoreError(`${file}: not a PEM or DER X.509 certificate (${(err as Error).message})`);
  }
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** Reads every certificate file in `dir`; throws TrustStoreError naming the file that is not one. */
export function loadTrustStore(dir: string): TrustStore {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new TrustStoreError(`${dir}: the trust store must be a folder of certificate files`);
    names = readdirSync(dir)
      .filter((n) => CERT_FILE.test(n))
      .sort();
  } catch (err) {
    if (err instanceof TrustStoreError) throw err;
    throw new TrustStoreError(`${dir}: cannot read the trust store (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const certs = names.flatMap((n) => certificatesIn(join(dir, n)));
  const roots = certs.filter(isSelfSigned);
  if (roots.length === 0) throw new TrustStoreError(`${dir}: no self-signed root certificate among ${certs.length} certificate(s) (.pem, .crt, .cer, .der)`);
  return { dir, roots, intermediates: certs.filter((c) => !roots.includes(c)) };
}
