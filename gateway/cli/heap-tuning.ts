import { setFlagsFromString } from 'node:v8';

/** Instruments up to which the old generation is kept tight; above, collection costs too much. */
const TIGHT_UP_TO = 300;

/**
 * V8 sizes its heap for throughput: after each full collection it lets the old generation grow
 * by up to 4× its live size before the next one. A gateway polls forever with a small live heap
 * (~25 MB at 200 instruments), so that slack is what its resident memory is made of. 30 % growth
 * keeps the old generation within ~1.3× of what is live.
 *
 * The price is a full collection each time the old generation grows by 30 %, and in-flight
 * batches that outlive two scavenges keep promoting into it (~2 MB/s at 200 instruments × 50
 * registers, ~10 MB/s at 1,000). Measured, gateway alone with 8 MB semi-spaces:
 * - 200 instruments: ~150 MB resident untuned, 113–117 MB bounded, CPU the same within noise;
 * - 1,000 instruments: 0.36 core untuned, 0.52 bounded, and on a box shared with InfluxDB the
 *   bounded gateway fell behind (seconds of latency, 5 % of cycles skipped).
 * So the bound applies up to 300 instruments per process and V8's default above. It is set
 * before the config is read (a large config's parse would otherwise grow the heap for good) and
 * lifted once the instrument count is known.
 *
 * Set at run time because it is read at every collection. The young generation's size is read
 * once at start, so it is a launch flag (`--max-semi-space-size=8`, in the `metrogate` shebang,
 * the Dockerfile and the compose files): 16 MB semi-spaces hold 32 MB of mostly garbage.
 */
export function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=30');
}

/** Lifts the bound for a large gateway; returns the growth in force (percent), null for V8's default. */
export function heapGrowthFor(instruments: number): number | null {
  if (instruments <= TIGHT_UP_TO) return 30;
  // 0 hands the factor back to V8's own heuristics.
  setFlagsFromString('--heap-growing-percent=0');
  return null;
}
