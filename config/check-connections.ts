/**
 * Checks of the connection settings a schema pattern cannot make: the URLs name a host and a
 * port a socket can use (`mqtt://` alone would silently mean localhost, port 99999 fails at
 * connect), and a password comes with the user name it belongs to (the broker closes such a
 * connection without a word). Paths are absolute; messages never quote credentials.
 */
import type { PathProblem } from './check-semantics.js';
import { redactUrl } from './redact-url.js';

interface Credentials {
  url: string;
  username?: string;
  password?: string;
}

export function checkConnections(sections: { mqtt?: Credentials; influx?: Credentials; cloud?: Credentials & { enabled?: boolean } }): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const name of ['mqtt', 'influx', 'cloud'] as const) {
    const section = sections[name];
    if (!section) continue;
    const urlProblem = checkUrl(section.url);
    if (urlProblem) problems.push({ at: [name, 'url'], message: urlProblem });
    if (section.password !== undefined && section.password !== '' && !section.username) {
      problems.push({ at: [name, 'password'], message: 'a password needs its username: set username too (the server refuses a password alone)' });
    }
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
