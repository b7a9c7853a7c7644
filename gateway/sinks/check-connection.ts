/**
 * Checks of a sink's connection settings that a schema pattern cannot make: the URL names a host
 * and a port a socket can use (`mqtt://` alone would silently mean localhost, port 99999 fails at
 * connect), and a password comes with the user name it belongs to (the server closes such a
 * connection without a word). Paths are relative to the sink's section; messages never quote
 * credentials. Each sink's check (mqtt, influx, cloud) starts with this one.
 */
import type { PathProblem } from '../../config/problem.js';
import { redactUrl } from '../../config/redact-url.js';

export interface Credentials {
  url: string;
  username?: string;
  password?: string;
}

export function checkConnection(section: Credentials): PathProblem[] {
  const problems: PathProblem[] = [];
  const urlProblem = checkUrl(section.url);
  if (urlProblem) problems.push({ at: ['url'], message: urlProblem });
  if (section.password !== undefined && section.password !== '' && !section.username) {
    problems.push({ at: ['password'], message: 'a password needs its username: set username too (the server refuses a password alone)' });
  }
  return problems;
}

/** Why this URL cannot be connected to, or undefined when it can. */
export function checkUrl(url: string): string | undefined {
  const shown = JSON.stringify(redactUrl(url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const port = /^[a-z]+:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):(\d+)/i.exec(url)?.[1];
    if (port !== undefined && Number(port) > 65535) return `port ${port} is out of range: expected a port from 1 to 65535, got ${shown}`;
    return `expected a URL such as mqtt://host:1883, got ${shown}`;
  }
  if (parsed.hostname === '') return `expected a host name after "//" (nothing means no host, not localhost), got ${shown}`;
  if (parsed.port === '0') return `expected a port from 1 to 65535, got ${shown}`;
  return undefined;
}
