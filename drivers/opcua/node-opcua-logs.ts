/**
 * node-opcua prints warnings and errors to the console (several lines each, some with whole
 * certificates in base64). They go to our pino logger instead, at debug level: the driver logs
 * every condition a user must act on in its own words (ua-failure.ts). Loaded before
 * node-opcua-client so that its load-time warnings are caught too.
 */
import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua-debug';
import type { Logger } from '../../gateway/log.js';

let routed = false;

export function routeNodeOpcuaLogs(log: Logger): void {
  if (routed) return;
  routed = true;
  const child = log.child({ component: 'node-opcua' });
  const forward =
    (level: 'debug' | 'trace') =>
    (context?: unknown, ...args: unknown[]) => {
      if (!child.isLevelEnabled(level)) return;
      const at = (context as { filename?: string } | undefined)?.filename;
      child[level]({ at }, format(...args));
    };
  setWarningLogger(forward('debug'));
  setErrorLogger(forward('debug'));
}
