/**
 * The one place credentials are taken out of URLs before they are logged or printed:
 * `mqtt://user:secret@host:1883` → `mqtt://***@host:1883`, wherever such a URL sits in the text
 * (an error message may quote one). Works on text that does not parse as a URL too (a config
 * value that failed validation), so nothing slips through as "not a URL".
 */
const USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@]*@/g;

export function redactUrl(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, '$1***@') : text;
}
