import type { InfluxConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import { RetryBackoff } from '../sinks/retry-backoff.js';
import { ensureDatabase } from './ensure-database.js';

type DatabaseConfig = Pick<InfluxConfig, 'url' | 'database' | 'username' | 'password'>;

/**
 * The database a writer writes to, created once InfluxDB answers (CREATE DATABASE is idempotent
 * in 1.x). keepCreating() does not wait for a write to find out InfluxDB came up: while it is
 * down it tries again on a timer (RetryBackoff), so an idle ingest turns ready on its own.
 */
export class InfluxDatabase {
  private creating: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly backoff = new RetryBackoff();
  private failures = 0;
  private stopped = false;

  /** outcome: told after every attempt, with its failure or null once the database exists. */
  constructor(
    private readonly cfg: DatabaseConfig,
    private readonly log: Logger,
    private readonly outcome: (err: Error | null) => void,
  ) {}

  /** Resolves once the database exists; one attempt at a time, whoever asks. */
  ensure(): Promise<void> {
    this.creating ??= ensureDatabase(this.cfg).then(
      () => this.created(),
      (err: unknown) => {
        this.creating = null;
        const error = err instanceof Error ? err : new Error(String(err));
        this.outcome(error);
        throw error;
      },
    );
    return this.creating;
  }

  /**
   * Creates it now and, while InfluxDB does not answer, again on a timer until it exists.
   * Resolves after the first attempt, whatever its outcome.
   */
  keepCreating(): Promise<void> {
    if (this.stopped || this.timer) return Promise.resolve();
    return this.ensure().catch((err: Error) => {
      if (this.stopped || this.timer) return;
      const retryInMs = this.backoff.next();
      if (this.failures++ === 0)
        this.log.warn(
          { url: this.cfg.url, err: err.message, retryInMs },
          'InfluxDB not reachable at start; creating the database again until it answers (what comes meanwhile waits in the spool or at the broker)',
        );
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.keepCreating();
      }, retryInMs);
    });
  }

  /** InfluxDB answered 404 (the database was dropped, or a fresh InfluxDB): create it before the next write. */
  lost(): void {
    this.creating = null;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private created(): void {
    if (this.failures > 0) this.log.info({ url: this.cfg.url, database: this.cfg.database, attempts: this.failures + 1 }, 'InfluxDB answers; database ready');
    this.failures = 0;
    this.backoff.reset();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.outcome(null);
  }
}
