import type { Logger } from '../../log.js';

/** First retry after this long; doubled per failure up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

interface Slot<T> {
  /** The newest value not yet written (null once written). */
  pending: T | null;
  writing: boolean;
  failures: number;
  timer: NodeJS.Timeout | null;
  /** `pending` is the key's last value (retire()): once it is written the slot goes. */
  last: boolean;
}

/**
 * Writes the latest value per key (an instrument's status), not a log: a newer value replaces one
 * that is waiting or failing, so memory stays at one value per key whatever the outage lasts. A
 * failed write is retried with backoff until it succeeds or a newer value for the key supersedes it
 * (the newer one is written at once, as the retained MQTT status is).
 */
export class LatestValueWriter<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private running = false;

  constructor(
    private readonly write: (value: T) => Promise<void>,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** Writes what was offered before start (the values of every instrument known so far). */
  start(): void {
    this.running = true;
    for (const key of this.slots.keys()) this.kick(key);
  }

  offer(key: string, value: T): void {
    this.put(key, value, false);
  }

  /**
   * The key's last value (an instrument removed by a reload): it supersedes what waits, as any
   * newer value does, and once written the key is forgotten, so a removed instrument's older
   * status is never written after its removal and no slot stays behind. A later offer() for the
   * key (the instrument added back) supersedes it in turn.
   */
  retire(key: string, value: T): void {
    this.put(key, value, true);
  }

  /** Keys with a slot: waiting, being written, or written and kept for the next value. */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  private put(key: string, value: T, last: boolean): void {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { pending: null, writing: false, failures: 0, timer: null, last }));
    slot.last = last;
    slot.pending = value;
    slot.failures = 0;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    this.kick(key);
  }

  /** Values still waiting to be written (for tests and logs). */
  waiting(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.pending !== null) n++;
    return n;
  }

  /** Drops the retry timers; what is unwritten is superseded by the next start's states. */
  stop(): void {
    this.running = false;
    for (const s of this.slots.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    }
  }

  private kick(key: string): void {
    const slot = this.slots.get(key)!;
    if (!this.running || slot.writing || slot.timer || slot.pending === null) return;
    const value = slot.pending;
    slot.writing = true;
    this.write(value).then(
      () => {
        slot.writing = false;
        slot.failures = 0;
        if (slot.pending === value) slot.pending = null;
        if (slot.pending === null && slot.last && this.slots.get(key) === slot) this.slots.delete(key);
        else this.kick(key);
      },
      (err: unknown) => {
        slot.writing = false;
        // A newer value came while this one was on its way: write that one now instead.
        if (slot.pending !== value) return this.kick(key);
        const wait = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** slot.failures++);
        this.log.warn({ key, err: err instanceof Error ? err.message : String(err), retryInMs: wait }, `${this.what} not written; retried`);
        if (!this.running) return;
        slot.timer = setTimeout(() => {
          slot.timer = null;
          this.kick(key);
        }, wait);
        slot.timer.unref();
      },
    );
  }
}
