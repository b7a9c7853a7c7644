import type { Logger } from '../../gateway/log.js';
import type { DeviceStatus, DriverOutput } from '../driver.js';

/** One instrument's online/offline state: reports changes only, with the error that caused them. */
export class OnlineStatus {
  private online: boolean | null = null;

  constructor(
    private readonly instrument: string,
    private readonly output: DriverOutput,
    private readonly log: Logger,
  ) {}

  get isOnline(): boolean {
    return this.online === true;
  }

  set(online: boolean, error?: string): void {
    if (this.online === online) return;
    this.online = online;
    const status: DeviceStatus = { instrument: this.instrument, online, since: Date.now() };
    if (!online && error) status.error = error;
    if (online) this.log.info({ instrument: this.instrument }, 'instrument online');
    else this.log.warn({ instrument: this.instrument, err: error }, 'instrument offline');
    this.output.status(status);
  }
}
