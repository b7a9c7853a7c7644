import { pino, type Logger, type LevelWithSilent, type LoggerOptions } from 'pino';
import { redactUrl } from '../config/redact-url.js';

export type { Logger };

/**
 * One JSON event per line; pretty only when a person is watching a terminal. The pretty printer
 * runs in pino's transport worker so formatting never lands on the poll loop.
 */
export function createLogger(level: LevelWithSilent = 'info', opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.METROGATE_LOG_FORMAT !== 'json');
  if (pretty) {
    return pino({
      level,
      formatters: { log: withoutCredentials },
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid }, formatters: { log: withoutCredentials } });
}

/**
 * Every log line's fields pass here: a URL with a user and password in it (mqtt.url, influx.url,
 * cloud.url, or one quoted in an error message) is logged without them, whichever part logs it.
 */
const withoutCredentials: NonNullable<NonNullable<LoggerOptions['formatters']>['log']> = (fields) => {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    const clean = redactUrl(value);
    if (clean !== value) (out ??= { ...fields })[key] = clean;
  }
  return out ?? fields;
};

/** For tests and library use: logs nothing unless METROGATE_TEST_LOG is set. */
export function silentLogger(): Logger {
  return pino({ level: (process.env.METROGATE_TEST_LOG as LevelWithSilent | undefined) ?? 'silent' });
}
