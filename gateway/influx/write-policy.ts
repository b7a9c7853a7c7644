import { InfluxRejected, InfluxUnavailable } from './influx-writer.js';
import { postIsolating, refusesPoints, splitLines, type PostLines } from './isolate-refused.js';

/** How a writer goes on after a failure that is neither a refused line (400) nor a request too large (413). */
export interface WritePolicy {
  /** Lines per request at most; a text with more lines than this is written line by line, in parts. */
  maxLines: number;
  /**
   * Network error, timeout, 5xx, 429, 401, 404 ...: resolve true to post the same part again
   * (after whatever wait the caller keeps), false to stop; the rest is then reported unwritten.
   */
  retry(err: Error): Promise<boolean>;
  /** Told when InfluxDB answered 413 for a request of this many lines (it is then written in smaller parts). */
  tooLarge?(lines: number): void;
}

/** A line InfluxDB refused on its own (400, or 413 for a single line): its neighbours are stored. */
export interface RefusedLine {
  /** Index of the text it came from. */
  text: number;
  line: string;
  /** InfluxDB's answer (the field type conflict, the parse error ...). */
  reason: string;
  status: 400 | 413;
}

export interface WriteOutcome {
  refused: RefusedLine[];
  /** Requests whose lines are stored (a request's refused lines isolated count as that one). */
  stored: number;
  /** Present when the retry gave up: the texts from `from` on are not (all) stored. */
  unwritten?: { from: number; error: Error };
}

/** The Retry-After InfluxDB sent with a 429 or 5xx, in ms; undefined when it sent none. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof InfluxUnavailable ? err.retryAfterMs : undefined;
}

function tooLarge(err: unknown): boolean {
  return err instanceof InfluxRejected && err.status === 413;
}

/**
 * The one write policy of the ingest role and the direct sink. `texts` hold one or more lines
 * each (`linesOf` says how many; the ingest's are single lines, the sink's whole poll cycles) and
 * are posted in order, in requests of up to maxLines lines:
 * - 204: stored;
 * - 400: postIsolating halves the request down to the refused lines; every other line is stored;
 * - 413: the request is too large: from then on requests carry half as many lines, a text with
 *   more lines than that is written line by line, and a single line still too large is refused;
 * - anything else: policy.retry decides between posting the same part again and giving up.
 * Posting a line twice is harmless (InfluxDB keys a point by series and timestamp), so a retried
 * or isolated request may repeat what InfluxDB already stored.
 */
export async function writeTexts(
  texts: readonly string[],
  post: PostLines,
  policy: WritePolicy,
  linesOf: (i: number) => number = () => 1,
): Promise<WriteOutcome> {
  const refused: RefusedLine[] = [];
  let stored = 0;
  let size = Math.max(1, policy.maxLines);
  for (let at = 0; at < texts.length; ) {
    const first = linesOf(at);
    if (first > size) {
      // One text too large for a request: its lines, in parts, count as that text.
      const inner = await writeTexts(splitLines(texts[at]!), post, { ...policy, maxLines: size });
      for (const r of inner.refused) refused.push({ ...r, text: at });
      stored += inner.stored;
      if (inner.unwritten) return { refused, stored, unwritten: { from: at, error: inner.unwritten.error } };
      at++;
      continue;
    }
    let end = at + 1;
    let lines = first;
    while (end < texts.length && lines + linesOf(end) <= size) lines += linesOf(end++);
    const start = at;
    const part = await postPart(texts.slice(start, end), post, policy, (i) => linesOf(start + i));
    if (part === 'too-large') {
      policy.tooLarge?.(lines);
      if (lines > 1) {
        size = Math.max(1, Math.floor(lines / 2));
        continue;
      }
      refused.push({ text: at, line: texts[at]!, reason: 'InfluxDB: request too large (413) for this one line', status: 413 });
    } else if (part instanceof Error) {
      return { refused, stored, unwritten: { from: at, error: part } };
    } else {
      for (const r of part) refused.push({ ...r, text: at + r.text });
      stored++;
    }
    at = end;
  }
  return { refused, stored };
}

/** One request's texts until InfluxDB answered it: the lines it refused, 'too-large', or the error the retry gave up on. */
async function postPart(part: string[], post: PostLines, policy: WritePolicy, linesOf: (i: number) => number): Promise<RefusedLine[] | 'too-large' | Error> {
  for (;;) {
    try {
      try {
        await post(part);
        return [];
      } catch (err) {
        if (!refusesPoints(err)) throw err;
        return await isolate(part, post, err.message, linesOf);
      }
    } catch (err) {
      if (tooLarge(err)) return 'too-large';
      const error = err instanceof Error ? err : new Error(String(err));
      if (!(await policy.retry(error))) return error;
    }
  }
}

/** The part's lines through postIsolating, each refused line named with the text it came from. */
async function isolate(part: string[], post: PostLines, reason: string, linesOf: (i: number) => number): Promise<RefusedLine[]> {
  const lines: string[] = [];
  const origin: number[] = [];
  part.forEach((text, i) => {
    const own = linesOf(i) > 1 ? splitLines(text) : [text];
    for (const line of own) {
      lines.push(line);
      origin.push(i);
    }
  });
  const refused = await postIsolating(lines, post);
  return refused.map((n) => ({ text: origin[n]!, line: lines[n]!, reason, status: 400 as const }));
}
