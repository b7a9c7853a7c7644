import { InfluxRejected } from './influx-writer.js';

/** Posts texts of one or more lines, joined by newlines; resolves on 204 (InfluxWriter.write's contract). */
export type PostLines = (lines: string[]) => Promise<void>;

/** InfluxDB's 400: a line it cannot parse, a field type conflict, a point outside retention ("partial write"). */
export function refusesPoints(err: unknown): err is InfluxRejected {
  return err instanceof InfluxRejected && err.status === 400;
}

/**
 * The one policy for a 400, shared by the ingest role and the direct sink: post the lines; on a
 * 400, post each half again, down to single lines, and return the indexes of the lines InfluxDB
 * refused on their own. Posting a line again is harmless: InfluxDB 1.x stores what it can of a
 * request it answers 400 ("partial write") and keys a point by series and timestamp. A refused
 * line costs ~2·log2(n) requests; its neighbours are stored. Any other failure is thrown, so the
 * caller retries everything (nothing is known to be refused).
 */
export async function postIsolating(lines: readonly string[], post: PostLines, offset = 0): Promise<number[]> {
  try {
    await post(lines as string[]);
    return [];
  } catch (err) {
    if (!refusesPoints(err)) throw err;
    if (lines.length === 1) return [offset];
    const half = Math.ceil(lines.length / 2);
    const first = await postIsolating(lines.slice(0, half), post, offset);
    const second = await postIsolating(lines.slice(half), post, offset + half);
    return first.concat(second);
  }
}

/**
 * A text of lines as InfluxDB 1.x splits it: at a newline, except inside a quoted string field
 * (a `reason` or a string value may hold one). Quotes count only in the field set, after the
 * first unescaped space, as in its parser; a backslash escapes the character after it.
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  let inFields = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c)
      i++; // backslash
    else if (c === 0x20 && !quoted) inFields = true;
    else if (c === 0x22 && inFields) quoted = !quoted;
    else if (c === 0x0a && !quoted) {
      lines.push(text.slice(start, i));
      start = i + 1;
      inFields = false;
    }
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}
