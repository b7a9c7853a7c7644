import { watch, type FSWatcher } from 'node:fs';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';

/**
 * Hot reload for `metrogate run`: on SIGHUP, and (opt-in) when the config file changes, the file
 * is loaded and validated again; a valid one is applied to the running gateway, an invalid one is
 * rejected with its errors and the running config stays.
 */
export class ConfigReloader {
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly onHup = (): void => void this.trigger('SIGHUP');

  constructor(
    private readonly file: string,
    private readonly gateway: Gateway,
    private readonly log: Logger,
  ) {}

  start(watchFile: boolean): void {
    process.on('SIGHUP', this.onHup);
    if (watchFile) {
      // Editors replace files (rename) as often as they write them: watch, and debounce bursts.
      this.watcher = watch(this.file, () => {
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.trigger('file changed'), 300);
      });
    }
  }

  stop(): void {
    process.off('SIGHUP', this.onHup);
    this.watcher?.close();
    if (this.debounce) clearTimeout(this.debounce);
  }

  /** Reloads one at a time, in order. */
  trigger(why: string): Promise<void> {
    this.running = this.running.then(() => this.reload(why));
    return this.running;
  }

  private async reload(why: string): Promise<void> {
    let next;
    try {
      next = loadConfig(this.file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.message.split('\n') : [(err as Error).message];
      this.log.error({ why, file: this.file, problems }, 'config reload rejected: the running config stays');
      return;
    }
    try {
      await this.gateway.reload(next);
    } catch (err) {
      this.log.error({ why, err: (err as Error).message }, 'config reload failed');
    }
  }
}
