/**
 * Standalone simulator process: `node dist/tools/simulators/modbus/main.js --help`.
 * stdout carries exactly one JSON line (the ready line a benchmark or demo waits for); every log
 * event goes to stderr, so a parent can read stdout without filtering.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../../config/load-config.js';
import { parseCliArgs, USAGE, UsageError, type CliOptions } from './cli-args.js';
import { devicesFromConfig } from './config-devices.js';
import { openPtyPair } from './pty-pair.js';
import { startRtuSimulator, type RtuLineSpec } from './rtu-simulator.js';
import { benchDevices, startSimulator, type DeviceSpec } from './simulator.js';

const log = pino({ name: 'modbus-simulator', base: { pid: process.pid } }, pino.destination(2));

function deviceSpecs(options: CliOptions): DeviceSpec[] {
  const specs: DeviceSpec[] = [];
  if (options.config) {
    const { devices, skipped } = devicesFromConfig(loadConfig(options.config), {
      ephemeralPorts: options.ephemeral,
      static: options.static,
      seed: options.seed,
    });
    for (const s of skipped) log.warn({ instrument: s.instrument, reason: s.reason }, 'instrument not simulated');
    specs.push(...devices);
  }
  options.profiles.forEach((p, i) => {
    specs.push({
      profile: p.profile,
      id: p.id ?? `${p.profile}-${i}`,
      port: p.port,
      unitId: p.unitId,
      registers: options.registers,
      static: options.static,
      seed: options.seed === undefined ? undefined : options.seed + 100_000 + i,
    });
  });
  if (options.bench) {
    const bench = benchDevices({ ...options.bench, registers: options.registers, seed: options.seed });
    for (const spec of bench) spec.static = options.static;
    specs.push(...bench);
  }
  return specs;
}

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.rtu) {
    await serveRtu(options);
    return;
  }
  const specs = deviceSpecs(options);
  if (specs.length === 0) throw new UsageError('nothing to simulate: no instrument of the config matches a profile');
  const simulator = await startSimulator({ devices: specs, host: options.host, unknownUnit: options.unknownUnit });
  const devices = simulator.devices.map((d) => ({ id: d.id, profile: d.profile.name, port: d.port, unitId: d.unitId }));
  process.stdout.write(`${JSON.stringify({ ready: true, host: options.host, ports: simulator.ports, devices })}\n`);
  log.info({ devices: devices.length, servers: simulator.ports.length }, 'simulator ready');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const served = simulator.devices.reduce((sum, d) => sum + d.served, 0);
    simulator.stop().then(
      () => {
        log.info({ signal, served }, 'simulator stopped');
        process.exitCode = 0;
      },
      (err: unknown) => {
        log.error({ err }, 'simulator stop failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The --profile devices as RTU slaves on one line; the ready line says where the gateway connects. */
async function serveRtu(options: CliOptions): Promise<void> {
  const rtu = options.rtu!;
  const pty = rtu.kind === 'pty' ? await openPtyPair() : null;
  const format = { baudRate: options.baudRate, parity: options.parity };
  const line: RtuLineSpec =
    rtu.kind === 'tcp' ? { tcp: { host: options.host, port: rtu.port } } : { serial: pty ? pty.devices : (rtu as { path: string }).path, ...format };
  const simulator = await startRtuSimulator({
    line,
    devices: options.profiles.map((p, i) => ({
      profile: p.profile,
      id: p.id ?? `${p.profile}-${i}`,
      unitId: p.unitId,
      registers: options.registers,
      static: options.static,
      strictMap: true,
      seed: options.seed === undefined ? undefined : options.seed + i,
    })),
  });
  const where =
    rtu.kind === 'tcp' ? { tcp: { host: options.host, port: simulator.port } } : { serial: pty ? pty.gateway : (rtu as { path: string }).path, ...format };
  const devices = simulator.devices.map((d) => ({ id: d.id, profile: d.profile.name, unitId: d.unitId }));
  process.stdout.write(`${JSON.stringify({ ready: true, rtu: where, devices })}\n`);
  log.info({ devices: devices.length, line: where }, 'RTU simulator ready');
  const stop = (signal: NodeJS.Signals): void => {
    void simulator
      .stop()
      .then(() => pty?.close())
      .then(() => log.info({ signal }, 'simulator stopped'));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    log.error({ err }, 'simulator failed');
    process.exitCode = 1;
  }
});
