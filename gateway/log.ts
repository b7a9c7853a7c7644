import { pino, type Logger, type LevelWithSilent } from 'pino';

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
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } });
}

/** For tests and library use: logs nothing unless METROGATE_TEST_LOG is set. */
export function silentLogger(): Logger {
  return pino({ level: (process.env.METROGATE_TEST_LOG as LevelWithSilent | undefined) ?? 'silent' });
}
