/**
 * What the API schema cannot say: a token that can be used and guessed by nobody, and no API on
 * a network interface without one. Paths are relative to `api`.
 */
import type { ApiConfig } from './api-config.js';
import { MIN_TOKEN_BITS, tokenStrength } from './token-strength.js';

export interface ApiProblem {
  at: string[];
  message: string;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach them. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function checkApiConfig(api: ApiConfig): ApiProblem[] {
  const problems: ApiProblem[] = [];
  const token = api.token ?? '';
  if (/\s/.test(token)) {
    problems.push({ at: ['token'], message: 'contains whitespace (space, tab or newline): a bearer token is one word, so no client could send it' });
  } else if (token !== '') {
    const { bits, basis } = tokenStrength(token);
    if (bits < MIN_TOKEN_BITS) {
      problems.push({
        at: ['token'],
        message: `too easy to guess: ~${bits} bits estimated (${basis}, assuming random characters), at least ${MIN_TOKEN_BITS} needed; e.g. openssl rand -hex 32`,
      });
    }
  }
  if (api.enabled !== false && !isLoopback(api.host) && token === '') {
    problems.push({
      at: ['host'],
      message: `${api.host} is reachable from other machines: set api.token too (e.g. token: \${METROGATE_API_TOKEN}), or keep host 127.0.0.1`,
    });
  }
  return problems;
}
