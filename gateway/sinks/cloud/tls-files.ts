import { readFile } from 'node:fs/promises';
import type { CloudConfig } from './cloud-config.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads cloud.ca, cloud.cert and cloud.key once at start. A missing or unreadable file stops the
 * start with the option and path named: a wrong path is a config error, not an outage to wait out.
 */
export async function readTlsFiles(cloud: Pick<CloudConfig, 'ca' | 'cert' | 'key'>): Promise<TlsMaterial> {
  const out: TlsMaterial = {};
  for (const option of ['ca', 'cert', 'key'] as const) {
    const path = cloud[option];
    if (path === undefined) continue;
    try {
      out[option] = await readFile(path);
    } catch (err) {
      throw new Error(`cloud.${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return out;
}

/** A TLS or auth failure in words a user can act on (the raw OpenSSL code stays in the text). */
export function explainConnectError(err: Error & { code?: string | number }, cloud: Pick<CloudConfig, 'url' | 'ca'>): string {
  const code = String(err.code ?? '');
  const trust = cloud.ca ? `the CA in cloud.ca (${cloud.ca})` : "the system CAs (set cloud.ca to the platform's CA file)";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `TLS: the server certificate of ${cloud.url} is not trusted by ${trust}: ${err.message} (${code})`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the server certificate does not name the host of ${cloud.url}: ${err.message}`;
  if (code === '134' || code === '135' || /Bad User Name or Password|Not authorized/i.test(err.message)) {
    return `refused by ${cloud.url}: bad username or password, or not authorized (${err.message})`;
  }
  return `${cloud.url}: ${err.message}${code ? ` (${code})` : ''}`;
}
