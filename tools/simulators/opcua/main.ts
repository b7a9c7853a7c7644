#!/usr/bin/env node
/**
 * The OPC UA simulator as a process (benchmark, manual tests):
 *   node dist/tools/simulators/opcua/main.js --pki DIR [--port 4840] [--instrument chamber-01]...
 *        [--bench N] [--update-ms 200] [--static] [--user NAME:PASSWORD]... [--secure-only]
 * One JSON line on stdout once listening; on SIGTERM/SIGINT one more with the value changes made
 * per instrument (what subscribers were offered), then exit 0. Exit 2 on a bad command line.
 */
import { parseArgs } from 'node:util';
import { startOpcuaSimulator, type SimInstrumentSpec } from './index.js';

function fail(message: string): never {
  console.error(`opcua simulator: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      pki: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      instrument: { type: 'string', multiple: true, default: [] },
      bench: { type: 'string' },
      'update-ms': { type: 'string', default: '200' },
      static: { type: 'boolean', default: false },
      user: { type: 'string', multiple: true, default: [] },
      'secure-only': { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (!values.pki) fail('--pki DIR is required (the server certificate goes there)');
const port = Number(values.port);
const updateMs = Number(values['update-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port takes 0 to 65535, got ${values.port}`);
if (!(updateMs >= 1)) fail(`--update-ms takes a number ≥ 1, got ${values['update-ms']}`);
const instruments: SimInstrumentSpec[] = values.instrument.map((id) => ({ id, profile: 'climate-chamber' }));
if (values.bench !== undefined) {
  const n = Number(values.bench);
  if (!Number.isInteger(n) || n < 1) fail(`--bench takes a number of variables ≥ 1, got ${values.bench}`);
  instruments.push({ id: 'bench', profile: 'bench', benchPoints: n });
}
if (instruments.length === 0) instruments.push({ id: 'chamber-01', profile: 'climate-chamber' });
const users = values.user.map((u) => {
  const colon = u.indexOf(':');
  if (colon < 1) fail(`--user takes NAME:PASSWORD, got ${u}`);
  return { username: u.slice(0, colon), password: u.slice(colon + 1) };
});

const sim = await startOpcuaSimulator({
  pkiDir: values.pki,
  port,
  host: values.host,
  instruments,
  users,
  static: values.static,
  updateIntervalMs: updateMs,
  ...(values['secure-only'] ? { securityModes: ['Sign' as const, 'SignAndEncrypt' as const], allowAnonymous: users.length === 0 } : {}),
});
console.log(
  JSON.stringify({ ready: true, endpoint: sim.endpoint, port: sim.port, certificate: sim.certificateFile, instruments: instruments.map((i) => i.id) }),
);

const stop = async () => {
  await sim.stop();
  console.log(JSON.stringify({ stopped: true, changes: Object.fromEntries(instruments.map((i) => [i.id, sim.instrument(i.id).changes])) }));
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
