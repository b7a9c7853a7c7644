/**
 * The simulated instruments that serve a gateway config's OPC UA instruments (demo, tests): an
 * instrument is simulated when every channel reads `ns=1;s=<instrument id>.<point>` of one
 * profile. Its Calibration object states the configured record's dates, so they agree.
 */
import type { MetrogateConfig } from '../../../config/schema.js';
import type { OpcuaInstrumentConfig } from '../../../drivers/opcua/config.js';
import { nodeIdOf, profileByName, type ProfileName } from './profiles.js';
import type { SimInstrumentSpec } from './opcua-simulator.js';

const SIMULATED_PROFILES: ProfileName[] = ['climate-chamber'];

export function simInstrumentsFromConfig(config: MetrogateConfig): { instruments: SimInstrumentSpec[]; skipped: string[] } {
  const instruments: SimInstrumentSpec[] = [];
  const skipped: string[] = [];
  for (const inst of config.instruments) {
    if (inst.protocol !== 'opcua') continue;
    const profile = matchProfile(inst);
    if (!profile) {
      skipped.push(inst.id);
      continue;
    }
    const spec: SimInstrumentSpec = { id: inst.id, profile };
    const cal = inst.calibration;
    if (inst.deviceCalibration && cal?.due) spec.calibration = { last: cal.calibrated, next: cal.due, certificate: cal.certificate };
    instruments.push(spec);
  }
  return { instruments, skipped };
}

export function matchProfile(inst: OpcuaInstrumentConfig): ProfileName | undefined {
  return SIMULATED_PROFILES.find((name) => {
    const served = new Set(profileByName(name).points.map((p) => nodeIdOf(inst.id, p.channel)));
    return inst.channels.every((ch) => served.has(ch.nodeId));
  });
}
