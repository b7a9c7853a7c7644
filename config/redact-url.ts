/**
 * The one place credentials are taken out of a URL before it is logged or printed:
 * `mqtt://user:secret@host:1883` → `mqtt://***@host:1883`. Works on text that does not parse as a
 * URL too (a config value that failed validation), so nothing slips through as "not a URL".
 */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/;

export function redactUrl(url: string): string {
  return url.replace(USERINFO, '$1***@');
}

/** True when the URL carries a user name or password. */
export function hasUserinfo(url: string): boolean {
  return USERINFO.test(url);
}
