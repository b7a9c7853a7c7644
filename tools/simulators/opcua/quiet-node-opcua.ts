/**
 * Imported before node-opcua (a side effect, on purpose): node-opcua prints warnings to stdout
 * from the moment it loads, which would land in the demo's output and the CLI's. A gateway driver
 * started later routes them to its logger instead (node-opcua-logs.ts).
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua-debug';

setWarningLogger(() => undefined);
setErrorLogger(() => undefined);
