import type { InfluxConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import { InfluxDatabase } from './influx-database.js';
import { InfluxRejected, InfluxWriter } from './influx-writer.js';
import { writeTexts, type WriteOutcome, type WritePolicy } from './write-policy.js';

type SessionConfig = Pick<InfluxConfig, 'url' | 'database' | 'username' | 'password'>;

/**
 * One writer's way into InfluxDB, the same for the ingest role and the direct sink: the database
 * (created when InfluxDB answers, again after a 404), the keep-alive writer and the write policy
 * (write-policy.ts), and what the last attempt said, for readiness.
 */
export class InfluxSession {
  private readonly writer: InfluxWriter;
  private readonly database: InfluxDatabase;
  private answered = false;
  private failure: string | null = null;

  /** sockets: connections kept open, at least the number of writes the caller makes at once. */
  constructor(cfg: SessionConfig, log: Logger, sockets?: number) {
    this.writer = new InfluxWriter(cfg, sockets);
    this.database = new InfluxDatabase(cfg, log, (err) => this.note(err));
  }

  /**
   * Creates the database now or, while InfluxDB is down, on a timer until it answers. Resolves
   * after the first attempt, whatever its outcome: a down InfluxDB holds up nobody.
   */
  start(): Promise<void> {
    return this.database.keepCreating();
  }

  /** Writes texts of one or more lines (linesOf: how many) by the one write policy. */
  write(texts: readonly string[], policy: WritePolicy, linesOf?: (i: number) => number): Promise<WriteOutcome> {
    return writeTexts(texts, this.post, policy, linesOf);
  }

  /** InfluxDB answered the last request or database creation (a 4xx is an answer: it is there). */
  answering(): boolean {
    return this.answered;
  }

  /** Why the last write or database creation failed, until one succeeds (a refused line is no failure). */
  lastFailure(): string | null {
    return this.failure;
  }

  close(): void {
    this.database.stop();
    this.writer.close();
  }

  private readonly post = async (lines: string[]): Promise<void> => {
    await this.database.ensure();
    try {
      await this.writer.write(lines);
      this.note(null);
    } catch (err) {
      if (err instanceof InfluxRejected && err.status === 404) this.database.lost();
      // 400 (refused lines) and 413 (too large) are answers the policy handles: writes work.
      if (err instanceof InfluxRejected && (err.status === 400 || err.status === 413)) this.note(null);
      else this.note(err instanceof Error ? err : new Error(String(err)), err instanceof InfluxRejected);
      throw err;
    }
  };

  private note(err: Error | null, answered = err === null): void {
    this.answered = answered;
    this.failure = err === null ? null : err.message;
  }
}
