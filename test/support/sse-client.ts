/** A minimal Server-Sent Events reader over fetch, for tests (Node has no EventSource). */
export interface StreamEvent {
  event: string;
  data: unknown;
}

export interface OpenStream {
  readonly events: StreamEvent[];
  /** Resolves once `done(events)` holds; rejects after `timeoutMs` or when the stream ends first. */
  waitFor(done: (events: StreamEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openStream(url: string): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  if (res.status !== 200 || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`${url}: content-type ${res.headers.get('content-type')}`);
  const events: StreamEvent[] = [];
  let ended = false;
  const pump = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
    }
  })();
  return {
    events,
    async waitFor(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(events)) {
        if (ended) throw new Error(`${url}: the stream ended after ${events.length} events`);
        if (Date.now() > deadline) throw new Error(`${url}: condition not met after ${events.length} events in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close() {
      abort.abort();
      void pump;
    },
  };
}
