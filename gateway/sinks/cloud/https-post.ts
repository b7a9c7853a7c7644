import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RejectedBatchError, RetryLaterError } from '../sink-errors.js';
import { VERSION } from '../../version.js';

const gzipAsync = promisify(gzip);

/** Tells the platform which gateway software (and version) sent a request. */
export const USER_AGENT = `metrogate/${VERSION}`;

export interface PostOptions {
  method: 'POST' | 'PUT';
  url: URL;
  token: string;
  agent: https.Agent;
  timeoutMs: number;
  /**
   * 404/405 mean the platform has no such endpoint, and the body is refused rather than retried:
   * for events, which a platform may not take, so that the readings queued behind one keep moving.
   */
  absentEndpointRefuses?: boolean;
}

/** Answers about the request's target or credentials, not its content: the data waits. */
const NOT_ABOUT_THE_CONTENT = new Set([401, 403, 404, 405, 408, 429]);

/**
 * Sends one gzip JSON body and classifies the answer the way the spool needs it: resolves on 2xx;
 * RejectedBatchError for a 4xx that judges the content (400, 413, 422, ...: sending it again
 * cannot help); RetryLaterError for 429/503 with Retry-After; a plain Error (retried) for 5xx,
 * network failures and the 4xx in NOT_ABOUT_THE_CONTENT: a wrong token or URL must not turn
 * into every reading being dropped as malformed.
 */
export async function sendGzipJson(json: string, opts: PostOptions): Promise<void> {
  const body = await gzipAsync(json);
  const res = await new Promise<{ status: number; retryAfter: string | undefined; text: string }>((resolve, reject) => {
    const req = https.request(
      opts.url,
      {
        method: opts.method,
        agent: opts.agent,
        timeout: opts.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': body.length,
          authorization: `Bearer ${opts.token}`,
          'user-agent': USER_AGENT,
        },
      },
      (r) => {
        const chunks: Buffer[] = [];
        let size = 0;
        r.on('data', (c: Buffer) => {
          // Keep the start of an error body for the log; never buffer a huge answer.
          if (size < 2048) chunks.push(c);
          size += c.length;
        });
        r.on('end', () => {
          const retry = r.headers['retry-after'];
          resolve({
            status: r.statusCode ?? 0,
            retryAfter: Array.isArray(retry) ? retry[0] : retry,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 500),
          });
        });
        r.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
  const { status, text } = res;
  if (status >= 200 && status < 300) return;
  const what = `${opts.method} ${opts.url.pathname} answered ${status}${text ? `: ${text}` : ''}`;
  const retryAfterMs = parseRetryAfter(res.retryAfter);
  if ((status === 429 || status === 503) && retryAfterMs !== undefined) throw new RetryLaterError(what, retryAfterMs);
  if (status === 401 || status === 403) throw new Error(`${what} (check cloud.token)`);
  if (opts.absentEndpointRefuses && (status === 404 || status === 405)) {
    throw new RejectedBatchError(`${what} (the platform has no such endpoint; set cloud.events: false if it takes no events)`, status);
  }
  if (status >= 400 && status < 500 && !NOT_ABOUT_THE_CONTENT.has(status)) throw new RejectedBatchError(what, status);
  throw new Error(what);
}

/** Retry-After: seconds, or an HTTP date; capped at 10 minutes. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 600_000) : undefined;
}
