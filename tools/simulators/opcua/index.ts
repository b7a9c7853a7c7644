/** The OPC UA simulator's public API, for tests, the demo and the benchmark. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MetrogateConfig } from '../../../config/schema.js';
import { simInstrumentsFromConfig } from './config-instruments.js';
import { startOpcuaSimulator, type OpcuaSimulator } from './opcua-simulator.js';

export { OpcuaSimulator, startOpcuaSimulator, type OpcuaSimulatorOptions, type SimInstrumentSpec } from './opcua-simulator.js';
export { SimInstrument, type SimCalibration, type SimValue } from './sim-instrument.js';
export { PROFILE_NAMES, benchProfile, channelsFor, nodeIdOf, profileByName, type Profile, type ProfileName, type SimPoint } from './profiles.js';
export { simInstrumentsFromConfig, matchProfile } from './config-instruments.js';

/**
 * Serves every OPC UA instrument of `config` that matches a profile (the demo lab's climate
 * chamber), on one free port. Point each instrument's `endpoint` at `sim.endpoint`.
 */
export async function startOpcuaSimulatorFor(config: MetrogateConfig, opts: { pkiDir: string; port?: number; static?: boolean }): Promise<OpcuaSimulator> {
  const { instruments, skipped } = simInstrumentsFromConfig(config);
  if (skipped.length > 0) throw new Error(`no simulator profile matches the OPC UA instruments ${skipped.join(', ')}`);
  return startOpcuaSimulator({ pkiDir: opts.pkiDir, instruments, port: opts.port ?? 0, static: opts.static ?? false });
}

/**
 * `config` with every OPC UA instrument the simulator serves pointed at it, the gateway's
 * certificate store in `clientPkiDir` (the demo's temporary folder, never $HOME).
 */
export function wireToSimulator(config: MetrogateConfig, sim: OpcuaSimulator, clientPkiDir: string): MetrogateConfig {
  return {
    ...config,
    instruments: config.instruments.map((inst) =>
      inst.protocol === 'opcua' && sim.serves(inst.id) ? { ...inst, endpoint: sim.endpoint, security: { ...inst.security, pkiDir: clientPkiDir } } : inst,
    ),
  };
}

/** Puts the simulator's certificate in a client store's trust list, as a user would by hand. */
export function trustSimulator(sim: OpcuaSimulator, clientPkiDir: string): void {
  const trusted = join(resolve(clientPkiDir), 'trusted', 'certs');
  mkdirSync(trusted, { recursive: true });
  copyFileSync(sim.certificateFile, join(trusted, 'metrogate-simulator.pem'));
}
