import { redactUrl } from '../../config/redact-url.js';

/**
 * A gateway that could not start: everything it had started is stopped again, and the CLI
 * prints this one line (no stack trace: the reason is the user's to fix, not a crash) and exits
 * with 1, so a supervisor sees a failure instead of a live process that does nothing.
 */
export class StartFailure extends Error {
  override readonly name = 'StartFailure';
  readonly exitCode = 1;

  constructor(reason: string) {
    super(`metrogate: cannot start: ${redactUrl(reason)}`);
  }
}
