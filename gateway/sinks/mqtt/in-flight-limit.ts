/**
 * Bounds the publishes awaiting PUBACK. mqtt.js accepts publishes without limit and, with
 * thousands outstanding, its throughput collapses (measured ~50k → ~3k msg/s); waiting for a
 * slot keeps it in its fast regime and pushes back on the pipeline instead.
 */
export class InFlightLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  acquire(): Promise<void> | undefined {
    if (this.active < this.max) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
