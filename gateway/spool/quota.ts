/** One stored batch as the quota sees it. */
export interface EntrySize {
  id: number;
  instrument: string;
  count: number;
  size: number;
}

/**
 * The spool's disk quota: bytes of stored batches and/or their age. Only the spool's own byte
 * count is measured (payload bytes), not the file: SQLite reuses freed pages, so the file stays
 * near the quota plus its page overhead (~5 %) and the WAL (a few MB) instead of growing.
 */
export class QuotaKeeper {
  constructor(
    readonly maxBytes: number | undefined,
    readonly maxAgeMs: number | undefined,
    private stored: number,
  ) {}

  get bytes(): number {
    return this.stored;
  }

  added(size: number): void {
    this.stored += size;
  }

  removed(size: number): void {
    this.stored -= size;
  }

  overBytes(): boolean {
    return this.maxBytes !== undefined && this.stored > this.maxBytes;
  }
}
