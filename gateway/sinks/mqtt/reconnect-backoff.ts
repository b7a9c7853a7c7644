import type { MqttClient } from 'mqtt';
import type { Logger } from '../../log.js';

export interface ReconnectBackoff {
  /** No more attempts (the client is being ended). */
  stop(): void;
}

/**
 * Reconnects a client created with `reconnectPeriod: 0` after a growing pause (min, doubling,
 * up to max), back to min once connected: a broker that is down at start or restarting is
 * retried for as long as it takes, without hammering it every second for hours.
 */
export function reconnectWithBackoff(client: MqttClient, log: Logger, minMs = 500, maxMs = 5000): ReconnectBackoff {
  let delayMs = minMs;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failures = 0;
  client.on('connect', () => {
    delayMs = minMs;
    if (failures > 0) log.info({ attempts: failures }, 'mqtt connected again');
    failures = 0;
  });
  client.on('close', () => {
    if (stopped || timer || client.disconnecting) return;
    failures++;
    if (failures === 1 || failures % 10 === 0) log.warn({ retryInMs: delayMs, attempts: failures }, 'mqtt broker not reachable; retrying');
    timer = setTimeout(() => {
      timer = null;
      if (!stopped && !client.connected) client.reconnect();
    }, delayMs);
    delayMs = Math.min(delayMs * 2, maxMs);
  });
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
