/**
 * The gateway's OPC UA certificate store: its own certificate and key (created on first start),
 * the server certificates it trusts, and the ones it refused. One store per folder, shared by every
 * instrument that names it. node-opcua would otherwise put a store under $HOME.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';

const stores = new Map<string, Promise<OPCUACertificateManager>>();

/**
 * node-opcua-crypto saves and restores OPENSSL_CONF around reading a private key; when it was
 * unset, "restoring" writes the string "undefined", which every process this one starts later
 * (an openssl, a broker) would inherit. Called after the places that read keys.
 */
export function undoOpensslConfLeak(): void {
  if (process.env.OPENSSL_CONF === 'undefined') delete process.env.OPENSSL_CONF;
}

export function certificateStore(dir: string): Promise<OPCUACertificateManager> {
  const root = resolve(dir);
  let store = stores.get(root);
  if (!store) {
    store = (async () => {
      const cm = new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false });
      await cm.initialize();
      undoOpensslConfLeak();
      return cm;
    })();
    stores.set(root, store);
    store.catch(() => stores.delete(root));
  }
  return store;
}

/** Picks up certificates a user moved into trusted/ since the store was read. */
export async function rereadTrustList(dir: string): Promise<void> {
  const cm = await certificateStore(dir);
  await cm.reloadCertificates();
}

export function pkiPaths(dir: string): { root: string; trusted: string; rejected: string; ownCertificate: string } {
  const root = resolve(dir);
  return {
    root,
    trusted: join(root, 'trusted', 'certs'),
    rejected: join(root, 'rejected'),
    ownCertificate: join(root, 'own', 'certs', 'client_certificate.pem'),
  };
}

/** The file the store wrote a refused certificate to: `<common name>[<sha1 thumbprint>].pem`. */
export function rejectedFileOf(dir: string, certificateDer: Buffer): string | undefined {
  const thumbprint = createHash('sha1').update(certificateDer).digest('hex');
  const { rejected } = pkiPaths(dir);
  let names: string[];
  try {
    names = readdirSync(rejected);
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.toLowerCase().endsWith(`[${thumbprint}].pem`));
  return name === undefined ? undefined : join(rejected, name);
}

export function untrustedServerMessage(endpoint: string, dir: string, rejectedFile: string | undefined): string {
  const { rejected, trusted } = pkiPaths(dir);
  const what = rejectedFile ? `move ${rejectedFile}` : `move the server's certificate from ${rejected}/`;
  return `the server certificate of ${endpoint} is not trusted (BadCertificateUntrusted): to trust it, ${what} to ${trusted}/ (the gateway retries by itself)`;
}

/** X.509 user certificates may be PEM or DER files; OPC UA sends DER. */
export function derOf(fileContent: Buffer): Buffer {
  const text = fileContent.toString('latin1');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : fileContent;
}
