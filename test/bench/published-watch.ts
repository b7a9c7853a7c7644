/** A subscriber that counts published readings and their poll-to-publish latency while measuring. */
import { connectAsync } from 'mqtt';

export interface PublishedWatch {
  /** Counts from now on. */
  start(): void;
  stop(): void;
  /** Readings seen while counting. */
  readings(): number;
  /** The latency (ms, from the reading's `ts` to its arrival) below which a share `p` of messages arrived; NaN if none. */
  percentile(p: number): number;
  end(): Promise<void>;
}

/** Subscribes to `topic`; each message counts as `readingsPerMessage` readings. */
export async function watchPublished(url: string, topic: string, readingsPerMessage: number): Promise<PublishedWatch> {
  const watcher = await connectAsync(url, { protocolVersion: 5 });
  let measuring = false;
  let readings = 0;
  const latencies: number[] = [];
  const tsPattern = /"ts":(\d+)/;
  watcher.on('message', (_topic, payload) => {
    if (!measuring) return;
    const now = Date.now();
    readings += readingsPerMessage;
    latencies.push(now - Number(tsPattern.exec(payload.toString('latin1'))?.[1] ?? now));
  });
  await watcher.subscribeAsync(topic, { qos: 0 });
  return {
    start: () => void (measuring = true),
    stop: () => void (measuring = false),
    readings: () => readings,
    percentile(p) {
      const sorted = [...latencies].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
    },
    end: () => watcher.endAsync(),
  };
}
