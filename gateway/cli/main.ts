#!/usr/bin/env -S node --max-semi-space-size=8
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { VERSION } from '../version.js';
import { boundHeapGrowth } from './heap-tuning.js';
import { StartFailure } from './start-failure.js';

// Each command is imported when it runs: browse pulls in node-opcua's client (~70 MB of resident
// memory) and the audit the InfluxDB client, none of which `run` of a Modbus-only gateway should
// carry.

const DEMO_MOVED =
  'metrogate: the demo is a development tool, not a command of the installed gateway (it runs ' +
  'simulated instruments and a private Mosquitto and InfluxDB, which the gateway and its image do not carry).\n' +
  'From a clone of the repository: npm ci && npm run demo -- --for 30';

const USAGE = `metrogate ${VERSION}: calibration-aware gateway for metrology instruments

Usage:
  metrogate run --config FILE [--no-drivers] [--no-ingest] [--watch]
      Poll the configured instruments, tag readings with calibration status, publish to MQTT;
      with ingest.enabled (or --ingest), also write the broker's data topics to InfluxDB.
      Serves the HTTP API (health, instruments, live page, /metrics) on api.host:api.port,
      default 127.0.0.1:8080. SIGHUP reloads the config (--watch: also when the file changes):
      added instruments start, removed ones stop, a changed one restarts alone (an RTU line
      with its instruments); other sections need a restart; an invalid file is rejected with
      its errors and the running config stays.
  metrogate validate --config FILE
      Check a config file; prints every problem with its path. Exit 2 when invalid.
  metrogate dcc import FILE.xml... --instrument ID [--channel ID] [--config FILE]
                       [--due YYYY-MM-DD | --interval-months N] [--replace] [--dry-run]
      Import PTB Digital Calibration Certificates (DCC 3.x) as calibration records.
  metrogate dcc show FILE.xml [--config FILE --instrument ID [--channel ID] | --unit UNIT]
      Print what a DCC would import, in the channel's unit (metrogate dcc --help for all options).
  metrogate browse <opc.tcp://host:port/path> [--node ID] [--depth N] [--mode M] [--username U] [--config-block [--pick ID]...]
      List an OPC UA server's variables with data type, unit and range, or print a config block
      for chosen nodes (metrogate browse --help for all options).
  metrogate audit --config FILE [--since MINUTES]
      Per instrument, the readings stored in InfluxDB and the sequence numbers missing among them.
  metrogate scan (--serial PATH [--baud N] [--parity P] | --rtu-tcp HOST:PORT | --tcp HOST[:PORT])
                 [--units 1-247] [--timeout MS]
      Find the Modbus slaves that answer and their readable registers; print a config skeleton
      that validates (metrogate scan --help for all options).
  metrogate comparison evaluate FILE.(json|yaml) [--results RESULT.json]... [--out DIR]
      Evaluate an inter-laboratory comparison: reference value, En, ζ and z′ per participant
      and point (ISO 13528); writes a Markdown and a JSON report.
  metrogate comparison record --config FILE --comparison ID --artefact TEXT --instrument ID
                              --channel ID --nominal X --from TIME --to TIME [--lab NAME]
      This laboratory's result for one point, from its stored readings; sent to the platform
      (metrogate comparison --help for all options).
  metrogate intervals --config FILE [--instrument ID] [--json]
      Suggest each instrument's next calibration interval from its certificate history
      (staircase and control-chart methods, with the evidence); never changes a due date.
  metrogate check record ID --config FILE [--measured VALUE] [--by NAME]
      Record an intermediate check (a check standard measured) with the running gateway; a
      failure quarantines the instrument. metrogate check list: every check and its chart.
  metrogate version

The demo (simulated lab on a private Mosquitto and InfluxDB) is a development tool: from a clone
of the repository, \`npm ci && npm run demo -- --for 30\`.

Environment: METROGATE_LOG_FORMAT=json forces JSON logs on a terminal; \${VAR} in the config
is filled from the environment (secrets stay out of the file).`;

/** Commands with their own help, which answer --help themselves; the rest show the overall usage. */
const OWN_HELP = ['dcc', 'browse', 'scan', 'comparison', 'intervals', 'check'];

/** Each command, given the arguments after its name; resolves to the exit status. */
const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run: runCommand,
  validate: async (args) => validateCommand(args),
  demo: demoCommand,
  dcc: async (args) => (await import('./dcc-command.js')).runDccCommand(args),
  browse: async (args) => (await import('./browse-command.js')).runBrowseCommand(args),
  scan: async (args) => (await import('./scan-command.js')).runScanCommand(args),
  comparison: async (args) => (await import('./comparison-command.js')).runComparisonCommand(args),
  intervals: async (args) => (await import('./intervals-command.js')).runIntervalsCommand(args),
  check: async (args) => (await import('./check-command.js')).runCheckCommand(args),
  audit: auditCommand,
  version: async () => printed(VERSION),
  '--version': async () => printed(VERSION),
  help: async () => printed(USAGE),
  '--help': async () => printed(USAGE),
  '-h': async () => printed(USAGE),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) return printed(USAGE);
  if ((rest.includes('--help') || rest.includes('-h')) && !OWN_HELP.includes(command)) return printed(USAGE);
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  return run ? run(rest) : usageError(`unknown command "${command}"`);
}

function printed(text: string): number {
  console.log(text);
  return 0;
}

async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'no-drivers': { type: 'boolean', default: false },
      'no-ingest': { type: 'boolean', default: false },
      ingest: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
    },
  });
  if (!values.config) return usageError('run needs --config FILE');
  boundHeapGrowth();
  const config = loadConfig(values.config);
  const ingest = !values['no-ingest'] && (values.ingest || config.ingest?.enabled === true);
  // The config check covers ingest.enabled; --ingest asks for the role on the command line.
  if (ingest && !config.mqtt) {
    throw new ConfigError(values.config, [
      { path: '', message: '--ingest: the ingest role takes the readings from the edge broker, and this config has no `mqtt` section' },
    ]);
  }
  return (await import('./run.js')).runGateway(
    config,
    {
      drivers: !values['no-drivers'],
      ingest,
    },
    { file: values.config, watch: values.watch },
  );
}

function validateCommand(args: string[]): number {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) return usageError('validate needs --config FILE');
  const config = loadConfig(values.config);
  const channels = config.instruments.reduce((n, i) => n + i.channels.length, 0);
  console.log(`${values.config}: valid (${config.instruments.length} instruments, ${channels} channels)`);
  return 0;
}

/** The demo runs simulators and a private broker and database (tools/): development tools that the installed gateway and its image do not carry. */
async function demoCommand(): Promise<number> {
  console.error(DEMO_MOVED);
  return 64;
}

async function auditCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, since: { type: 'string' } } });
  if (!values.config) return usageError('audit needs --config FILE');
  return (await import('./audit.js')).runAudit(loadConfig(values.config), values.since === undefined ? undefined : Number(values.since));
}

function usageError(message: string): number {
  console.error(`metrogate: ${message}\n\n${USAGE}`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof StartFailure) {
      console.error(err.message);
      process.exitCode = err.exitCode;
    } else if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.exitCode = usageError(err.message);
    } else {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  },
);
