/**
 * Escaping for what an impact report embeds: event text comes from certificates, records and the
 * API, so it may hold quotes, backslashes, newlines or Markdown syntax.
 */

/** An InfluxQL string literal: every backslash and every single quote escaped, not just the first. */
export function influxqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL double-quoted identifier (measurement, tag key). */
export function influxqlIdentifier(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Text shown literally inside a Markdown line: line breaks become spaces (one fact per list item,
 * so nothing can start a heading or a list), the inline syntax (emphasis, code, links, tables,
 * strikethrough) is backslash-escaped and `<`, `>`, `&` become entities (no raw HTML).
 */
export function markdownText(s: string): string {
  return s
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}
