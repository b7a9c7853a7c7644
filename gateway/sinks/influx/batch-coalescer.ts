/** Batches waiting to be written, each settled on its own once the request that holds it was answered. */
export interface PendingBatch {
  /** The batch's lines of line protocol, joined by newlines. */
  text: string;
  lines: number;
  resolve(): void;
  reject(err: Error): void;
}

export interface CoalescerOptions {
  /** Lines per request at most (a batch larger than this goes alone). */
  batchSize: number;
  /** Requests under way at once. */
  concurrency: number;
  /** How long a request waits for more batches before it goes with fewer than batchSize lines. */
  lingerMs: number;
  /** Writes the group and settles every batch in it; resolves when all are settled. */
  deliver(group: PendingBatch[]): Promise<void>;
}

/**
 * Gathers the spool's batches (one poll cycle, ~50 lines each) into requests of up to batchSize
 * lines: one request per poll cycle would cost InfluxDB far more than the points themselves.
 * A full request goes at once, a partial one after lingerMs; at most `concurrency` are under way,
 * and what arrives meanwhile waits for the next.
 */
export class BatchCoalescer {
  private queue: PendingBatch[] = [];
  private queuedLines = 0;
  private readonly sending = new Set<Promise<void>>();
  /** The batches of the requests under way, for abandon(). */
  private readonly sendingGroups = new Set<PendingBatch[]>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(private readonly opts: CoalescerOptions) {}

  add(text: string, lines: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, lines, resolve, reject });
      this.queuedLines += lines;
      this.schedule();
    });
  }

  /** Sends what waits without lingering and resolves once every request was answered. */
  async flush(): Promise<void> {
    this.closing = true;
    while (this.queue.length > 0 || this.sending.size > 0) {
      this.send();
      await Promise.race(this.sending);
    }
  }

  /**
   * Rejects every batch not yet settled, queued or under way (stop() while InfluxDB hangs): the
   * spool keeps them for the next start. An answer that still comes finds them settled.
   */
  abandon(err: Error): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const b of this.queue.splice(0)) b.reject(err);
    this.queuedLines = 0;
    for (const group of this.sendingGroups) for (const b of group) b.reject(err);
  }

  private schedule(): void {
    if (this.closing || this.queuedLines >= this.opts.batchSize || this.opts.lingerMs === 0) this.send();
    else this.timer ??= setTimeout(() => this.send(), this.opts.lingerMs);
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.sending.size < this.opts.concurrency && this.queue.length > 0) {
      const group = this.take();
      const sent: Promise<void> = this.opts
        .deliver(group)
        .catch((err: unknown) => {
          // deliver settles every batch itself; this is a bug guard, not a path data takes.
          for (const b of group) b.reject(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          this.sending.delete(sent);
          this.sendingGroups.delete(group);
          if (this.queue.length > 0) this.schedule();
        });
      this.sending.add(sent);
      this.sendingGroups.add(group);
    }
  }

  /** The oldest batches up to batchSize lines (at least one batch). */
  private take(): PendingBatch[] {
    let n = 0;
    let lines = 0;
    while (n < this.queue.length && (n === 0 || lines + this.queue[n]!.lines <= this.opts.batchSize)) {
      lines += this.queue[n]!.lines;
      n++;
    }
    this.queuedLines -= lines;
    return n === this.queue.length ? this.queue.splice(0) : this.queue.splice(0, n);
  }
}
