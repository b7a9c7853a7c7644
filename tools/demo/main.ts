#!/usr/bin/env node
/**
 * `npm run demo [-- --for SECONDS] [--keep]`: the simulated lab on private servers. A development
 * entry, not a command of the installed gateway: it needs the simulators, the private
 * Mosquitto/InfluxDB launcher and the apt installer (tools/), none of which are in the runtime
 * image or its dependencies.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';

export const DEMO_USAGE = `npm run demo [-- --for SECONDS] [--keep]
  Start a private Mosquitto and InfluxDB, simulated instruments and the gateway; with --for,
  stop after SECONDS and print a summary (polled = published = written). --keep leaves the
  broker and database running.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { for: { type: 'string' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const seconds = values.for === undefined ? undefined : Number(values.for);
  if (seconds !== undefined && !(seconds > 0)) {
    console.error(`demo: --for takes a number of seconds > 0, got ${JSON.stringify(values.for)}\n\n${DEMO_USAGE}`);
    return 64;
  }
  return runDemo({ seconds, keep: values.keep });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? 64 : 1;
  },
);
