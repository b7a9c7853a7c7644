/**
 * The real simulator behind each driver's golden cases (test/golden/README.md): started for the
 * instruments of a loaded config, with the config pointed at it. Every instrument of a reading
 * case must be one the simulator serves; one it cannot serve fails the case, never runs unread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetrogateConfig } from '../../config/schema.js';
import { groupLines } from '../../drivers/modbus/rtu-lines.js';
import { devicesFromConfig, matchProfile, startSimulator } from '../../tools/simulators/modbus/index.js';
import { openPtyPair } from '../../tools/simulators/modbus/pty-pair.js';
import { startRtuSimulator } from '../../tools/simulators/modbus/rtu-simulator.js';
import { startOpcuaSimulatorFor, trustSimulator, wireToSimulator } from '../../tools/simulators/opcua/index.js';

export interface Rig {
  /** Environment the config is loaded with (e.g. the RTU line's pseudo-terminal). */
  env: Record<string, string>;
  /** Starts the simulators for the loaded config; returns the config pointed at them. */
  start(config: MetrogateConfig): Promise<MetrogateConfig>;
  stop(): Promise<void>;
}

export async function rigFor(driver: string): Promise<Rig> {
  if (driver === 'modbus') return modbusRig();
  if (driver === 'opcua') return opcuaRig();
  throw new Error(`no simulator rig for driver "${driver}" (test/golden/${driver})`);
}

async function modbusRig(): Promise<Rig> {
  const stops: (() => Promise<void>)[] = [];
  // Opened before the config loads: its RTU lines name the pseudo-terminal through ${GOLDEN_RTU_LINE}.
  const pty = await openPtyPair();
  stops.push(() => pty.close());
  return {
    env: { GOLDEN_RTU_LINE: pty.gateway },
    async start(config) {
      const tcp = { ...config, instruments: config.instruments.filter((i) => i.protocol === 'modbus-tcp') };
      const { devices, skipped } = devicesFromConfig(tcp, { ephemeralPorts: true, static: true });
      if (skipped.length > 0) throw new Error(`the simulator cannot serve ${JSON.stringify(skipped)}`);
      const sim = await startSimulator({ devices });
      stops.push(() => sim.stop());
      await startRtuSlaves(config, pty.devices, stops);
      return {
        ...config,
        instruments: config.instruments.map((inst) =>
          inst.protocol === 'modbus-tcp' ? { ...inst, connection: { ...inst.connection, port: sim.device(inst.id).port } } : inst,
        ),
      };
    },
    stop: () => stopAll(stops),
  };
}

/** The slaves of the (one) serial line on the simulator's end of the pseudo-terminal. */
async function startRtuSlaves(config: MetrogateConfig, devicesEnd: string, stops: (() => Promise<void>)[]): Promise<void> {
  const { lines } = groupLines(config.instruments);
  if (lines.length > 1) throw new Error('a golden case has one RTU line (one pseudo-terminal)');
  const group = lines[0];
  if (!group) return;
  if (group.line.kind !== 'serial') throw new Error('golden RTU cases use a serial line');
  const { baudRate, parity, dataBits, stopBits } = group.line;
  const devices = group.instruments.map((inst) => {
    const profile = matchProfile(inst.channels);
    if (!profile) throw new Error(`the simulator has no profile with the channels of ${inst.id}`);
    return { profile, id: inst.id, unitId: inst.unitId, static: true };
  });
  const sim = await startRtuSimulator({ line: { serial: devicesEnd, baudRate, parity, dataBits, stopBits }, devices });
  stops.push(() => sim.stop());
}

async function opcuaRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-golden-opcua-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  return {
    env: {},
    async start(config) {
      const sim = await startOpcuaSimulatorFor(config, { pkiDir: join(dir, 'server-pki'), static: true });
      stops.push(() => sim.stop());
      const clientPki = join(dir, 'client-pki');
      trustSimulator(sim, clientPki);
      return wireToSimulator(config, sim, clientPki);
    },
    stop: () => stopAll(stops),
  };
}

async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop();
}
